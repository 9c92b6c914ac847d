// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: io::open_nanovdb on a file holding the input (fuzz.nvdb), then reads of two
// small boxes, one at each far corner of the grid's box, and whether a 16^3 corner of it is empty. NanoVDB
// trusts the sizes in a file's headers and the offsets in a grid; libindex checks both before
// NanoVDB reads (io/src/nanovdb_checks.h). Allowed outcomes: libindex::Error, or a source whose
// reads return exactly the box's voxels. The seeds (seeds/fuzz_nanovdb in the build folder, written by
// nanovdb_seeds.cpp; regression inputs in corpus/fuzz_nanovdb) are grids NanoVDB's own
// builder wrote: float, Fp8, FpN and Fp16 grids, uncompressed and ZIP, one file of two grids, an
// empty grid.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "fuzz_volume.h"
#include "libindex/io/vdb_reader.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  libindex::fuzz::absolute_paths(argc, argv);
  libindex::fuzz::enter_temp_dir("nanovdb");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  libindex::fuzz::open_and_read_sparse_volume("fuzz.nvdb", data, size,
                                              [](const char* path) { return libindex::io::open_nanovdb(path); });
  return 0;
}
