// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: io::open_nanovdb on a file holding the input (fuzz.nvdb), then reads of two
// small boxes, one at each far corner of the grid's box, and whether a 16^3 corner of it is empty. NanoVDB
// trusts the sizes in a file's headers and the offsets in a grid; libindex checks both before
// NanoVDB reads (io/src/nanovdb_checks.h). Allowed outcomes: libindex::Error, or a source whose
// reads return exactly the box's voxels. The seeds (seeds/fuzz_nanovdb in the build folder, written by
// nanovdb_seeds.cpp; regression inputs in corpus/fuzz_nanovdb) are grids NanoVDB's own
// builder wrote: float, Fp8, FpN and Fp16 grids, uncompressed and ZIP, one file of two grids, an
// empty grid.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_util.h"
#include "fuzz_volume.h"
#include "libindex/error.h"
#include "libindex/io/open_volume.h"
#include "libindex/io/vdb_reader.h"

using libindex::Box3i;
using libindex::Vec3i;
using libindex::fuzz::check_read;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  libindex::fuzz::absolute_paths(argc, argv);
  libindex::fuzz::enter_temp_dir("nanovdb");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* path = "fuzz.nvdb";
  libindex::fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const auto source = libindex::io::open_nanovdb(path);
    const Box3i box = source->box();
    const Vec3i n = box.size();
    if (n.x < 0 || n.y < 0 || n.z < 0) std::abort();
    (void)source->describe();
    const Vec3i e{std::min(n.x, 16), std::min(n.y, 16), std::min(n.z, 16)}; // the box may be huge
    (void)libindex::io::region_empty(*source, Box3i{box.lo, {box.lo.x + e.x, box.lo.y + e.y, box.lo.z + e.z}});
    const Vec3i d{std::min(n.x, 3), std::min(n.y, 3), std::min(n.z, 2)};
    check_read(*source, Box3i{box.lo, {box.lo.x + d.x, box.lo.y + d.y, box.lo.z + d.z}});
    check_read(*source, Box3i{{box.hi.x - d.x, box.hi.y - d.y, box.hi.z - d.z}, box.hi});
  } catch (const libindex::Error& e) {
    libindex::fuzz::expected_error(e);
  }
  std::remove(path);
  return 0;
}
