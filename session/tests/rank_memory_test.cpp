// SPDX-License-Identifier: Apache-2.0
// The memory a rank can count on: cgroup limits (v1 and v2, nested, inside a container whose path
// is not mounted) read from a fake /sys/fs/cgroup, and the real node's share over MPI.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "libindex/error.h"
#include "libindex/rank_memory.h"

using namespace libindex;
namespace fs = std::filesystem;

namespace {

/// A fake cgroup root, removed on destruction.
struct FakeCgroups {
  fs::path root = fs::temp_directory_path() / ("libindex_cgroups_" + std::to_string(getpid()));
  FakeCgroups() { fs::remove_all(root); }
  ~FakeCgroups() { fs::remove_all(root); }
  void limit(const std::string& folder, const std::string& file, const std::string& value) const {
    fs::create_directories(root / folder);
    std::ofstream(root / folder / file) << value << "\n";
  }
  long long read(const std::string& proc_self_cgroup) const {
    return cgroup_memory_limit(proc_self_cgroup, root.string());
  }
};

} // namespace

TEST(RankMemory, TheLeastV2LimitAlongThePath) {
  FakeCgroups c;
  c.limit("", "memory.max", "max");
  c.limit("slurm/job_7", "memory.max", "4294967296");
  c.limit("slurm/job_7/step_0", "memory.max", "max");
  c.limit("slurm/job_7/step_0/task_1", "memory.max", "8589934592"); // a parent's lower limit holds
  EXPECT_EQ(c.read("0::/slurm/job_7/step_0/task_1\n"), 4294967296LL);
  EXPECT_EQ(c.read("0::/\n"), 0) << "'max' is no limit";
}

TEST(RankMemory, V1MemoryControllerAndItsNoLimitValue) {
  FakeCgroups c;
  c.limit("memory", "memory.limit_in_bytes", "9223372036854771712"); // v1's "unlimited"
  c.limit("memory/job", "memory.limit_in_bytes", "2147483648");
  EXPECT_EQ(c.read("9:cpu,memory:/job\n4:pids:/job\n0::/\n"), 2147483648LL);
  EXPECT_EQ(c.read("4:pids:/job\n"), 0) << "no memory controller: no limit";
  // Inside a container the cgroup's path is not mounted; the hierarchy's root is its own cgroup.
  c.limit("memory", "memory.limit_in_bytes", "3000000000");
  EXPECT_EQ(c.read("4:memory:/process_api/0123abcd\n"), 3000000000LL);
}

TEST(RankMemory, V1AndV2TogetherGiveTheLeast) {
  FakeCgroups c;
  c.limit("memory/job", "memory.limit_in_bytes", "2147483648");
  c.limit("unified/job", "memory.max", "1073741824");
  EXPECT_EQ(c.read("4:memory:/job\n0::/job\n"), 1073741824LL);
  EXPECT_EQ(c.read("garbage\n\n4:memory\n"), 0);
}

TEST(RankMemory, ARankHasItsNodesShareAtMost) {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  const long long node = node_memory_bytes();
  ASSERT_GT(node, 0);
  EXPECT_LE(node, (long long)pages * page);
  // One rank alone on its node (a singleton MPI): its share is the whole node's.
  EXPECT_EQ(memory_per_rank(MPI_COMM_SELF), node);
}

TEST(RankMemory, ByteCountsAsUsersWriteThem) {
  EXPECT_EQ(parse_byte_count("4096"), 4096);
  EXPECT_EQ(parse_byte_count("64k"), 64LL << 10);
  EXPECT_EQ(parse_byte_count("512M"), 512LL << 20);
  EXPECT_EQ(parse_byte_count("8G"), 8LL << 30);
  EXPECT_EQ(parse_byte_count("1.5GiB"), 3LL << 29);
  EXPECT_EQ(parse_byte_count("2TB"), 2LL << 40);
  for (const char* bad : {"", "abc", "-1G", "0", "8X", "8 G", "1e30", "G"})
    EXPECT_THROW(parse_byte_count(bad), Error) << "'" << bad << "'";
}
