// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file How much memory a rank can count on: its node's physical memory, or less where a cgroup
/// limits it (Slurm's --mem, a container), shared by the session's ranks on that node. The head
/// refuses a scene whose volumes cannot fit in it (ViewState::check_memory): a brick larger than
/// the node's memory is either refused by malloc on every frame or, worse, granted by overcommit
/// and then killed by the kernel's OOM killer, taking the whole MPI job with it.

#include <mpi.h>

#include <string>

#include "libindex/scene_view.h"

namespace libindex {

/// The least memory limit of this process's cgroups and their parents, v1 (`memory` controller,
/// memory.limit_in_bytes) and v2 (memory.max), read from `proc_self_cgroup` (the text of
/// /proc/self/cgroup) under `cgroup_root` (/sys/fs/cgroup); 0 when none is set.
long long cgroup_memory_limit(const std::string& proc_self_cgroup, const std::string& cgroup_root);

/// This node's physical memory, or the cgroup limit where that is lower. 0 when unknown.
long long node_memory_bytes();

/// "8G", "512M", "1.5GiB", "4096": a memory size in bytes (K, M, G, T, P are powers of 1024).
/// Throws libindex::Error for anything else.
long long parse_byte_count(const std::string& text);

/// Collective over `comm`: the least memory any rank of `comm` can count on (its node's memory over
/// the ranks of `comm` on that node; a rank that cannot tell is left out). 0 when none can.
/// $LIBINDEX_MEMORY_PER_RANK (e.g. "6G") replaces what a rank finds: to keep headroom for other
/// work on the node, or where the detection is wrong. Throws libindex::Error (on every rank) for a
/// value that is not a memory size.
long long memory_per_rank(MPI_Comm comm);

/// Throws libindex::Error when the volumes of `view`, divided as evenly as can be over `ranks`,
/// would still need more than `memory_per_rank` bytes on a rank (0: not checked): a lower bound
/// (no ghost layers, no images, no read-ahead), so what it refuses cannot render with these ranks,
/// and what it passes may.
void check_scene_memory(const SceneView& view, int ranks, long long memory_per_rank);

} // namespace libindex
