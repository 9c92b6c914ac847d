// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: io::open_openvdb on a file holding the input (fuzz.vdb), then whether a 16^3
// corner of the grid's box is empty (OpenVDB's delayed loading: topology only) and reads of two small
// boxes, one at each far corner (the leaves they touch, unpacked at once). OpenVDB trusts the counts,
// masks and sizes in a file; libindex walks the file's headers and the chosen grid's tree before
// OpenVDB reads it (io/src/openvdb_checks.h, openvdb_tree_checks.h). Allowed outcomes:
// libindex::Error, or a source whose reads return exactly the box's voxels. OpenVDB itself is
// Debian's library, not instrumented: coverage guides the fuzzer through libindex's checks, and a
// crash inside OpenVDB is still a crash. The seeds (seeds/fuzz_openvdb in the build folder, written
// by openvdb_seeds.cpp; regression inputs in corpus/fuzz_openvdb) are grids OpenVDB's own writer wrote.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "fuzz_volume.h"
#include "libindex/io/vdb_reader.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  libindex::fuzz::absolute_paths(argc, argv);
  libindex::fuzz::enter_temp_dir("openvdb");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  libindex::fuzz::open_and_read_sparse_volume("fuzz.vdb", data, size,
                                              [](const char* path) { return libindex::io::open_openvdb(path); });
  return 0;
}
