// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of fuzz_nanovdb: grids NanoVDB's own builder and writer make, so that the
// fuzzer starts from every part of a real file (segment headers, metadata, names, each node kind,
// each codec this build has). Usage: fuzz_nanovdb_seeds <folder>
#include <string>
#include <vector>

#include <nanovdb/util/GridBuilder.h>
#include <nanovdb/util/IO.h>

#include "fuzz_util.h"

namespace {

float field(int x, int y, int z) { return float(x) - 10.0f * float(y) + 0.5f * float(z); }

// Active voxels in [-3,13) x [4,9) x [20,23), values of every sign: several leaves, one lower and
// one upper node, and (quantized) a range per leaf.
template <typename Quantization = float>
nanovdb::GridHandle<> slab(const std::string& name) {
  nanovdb::GridBuilder<float, Quantization> builder(0.0f);
  auto acc = builder.getAccessor();
  for (int z = 20; z < 23; ++z)
    for (int y = 4; y < 9; ++y)
      for (int x = -3; x < 13; ++x) acc.setValue(nanovdb::Coord(x, y, z), field(x, y, z));
  return builder.template getHandle<>(2.0, nanovdb::Vec3d(0), name);
}

} // namespace

int main(int argc, char** argv) {
  const std::string dir = libindex::fuzz::seed_folder(argc, argv);
  const auto zip = nanovdb::io::Codec::ZIP;

  // Uncompressed: the node tables as they lie in memory (one voxel still needs a whole upper and
  // lower node, about 300 KB).
  nanovdb::GridBuilder<float> one(0.0f);
  one.getAccessor().setValue(nanovdb::Coord(1, 2, 3), 0.5f);
  nanovdb::io::writeGrid(dir + "/float_one_voxel.nvdb", one.getHandle<>(1.0, nanovdb::Vec3d(0), "density"));

  nanovdb::io::writeGrid(dir + "/float_zip.nvdb", slab("density"), zip);
  nanovdb::io::writeGrid(dir + "/fp8_zip.nvdb", slab<nanovdb::Fp8>("density8"), zip);
  nanovdb::io::writeGrid(dir + "/fp16_zip.nvdb", slab<nanovdb::Fp16>("density16"), zip);
  nanovdb::io::writeGrid(dir + "/fpn_zip.nvdb", slab<nanovdb::FpN>("densityN"), zip);

  // Two grids in one file: a double grid first, so that the reader's choice of grid is exercised.
  std::vector<nanovdb::GridHandle<>> two;
  nanovdb::GridBuilder<double> doubles(0.0);
  doubles.getAccessor().setValue(nanovdb::Coord(0, 0, 0), 0.25);
  two.push_back(doubles.getHandle<>(1.0, nanovdb::Vec3d(0), "distance"));
  two.push_back(slab("density"));
  nanovdb::io::writeGrids(dir + "/two_grids_zip.nvdb", two, zip);

  nanovdb::GridBuilder<float> empty(0.0f);
  nanovdb::io::writeGrid(dir + "/empty.nvdb", empty.getHandle<>(1.0, nanovdb::Vec3d(0), "density"));
  return 0;
}
