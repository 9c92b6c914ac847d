// SPDX-License-Identifier: Apache-2.0
// make_vdb_sphere <out.vdb|out.nvdb> [voxels_across=64] [level-set]: writes a fog-volume sphere (grid
// "density": 1 inside, falling to 0 across a narrow band at the surface, inactive outside) for
// scenes/vdb_sphere.prj and the tests, so no volume data is ever committed; with `level-set`, the
// level set it is made from (grid "surface": signed distances, -3 inside to 3 outside, the band
// active), as OpenVDB's sample models are. A .nvdb name writes the same grid converted to NanoVDB.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <filesystem>
#include <string>

#include <openvdb/openvdb.h>
#include <openvdb/tools/LevelSetSphere.h>
#include <openvdb/tools/LevelSetUtil.h>
#if LIBINDEX_TOOL_NANOVDB
#include <nanovdb/util/IO.h>
#include <nanovdb/util/OpenToNanoVDB.h>
#endif

int main(int argc, char** argv) {
  const bool level_set = argc == 4 && std::string(argv[3]) == "level-set";
  if (argc < 2 || argc > 4 || (argc == 4 && !level_set)) {
    std::fprintf(stderr, "usage: %s <out.vdb|out.nvdb> [voxels_across=64] [level-set]\n", argv[0]);
    return 2;
  }
  const std::string path = argv[1];
  const int across = argc >= 3 ? std::atoi(argv[2]) : 64;
  if (across < 4 || across > 4096) {
    std::fprintf(stderr, "make_vdb_sphere: voxels_across must be 4..4096, got '%s'\n", argc >= 3 ? argv[2] : "");
    return 2;
  }
  try {
    openvdb::initialize();
    // Voxel size 1: index space is the scene's voxel space. The radius leaves the band inside `across`.
    const float radius = 0.5f * float(across) - 1.0f;
    const float half = 0.5f * float(across);
    auto grid = openvdb::tools::createLevelSetSphere<openvdb::FloatGrid>(radius, openvdb::Vec3f(half, half, half),
                                                                         /*voxelSize=*/1.0f, /*halfWidth=*/3.0f);
    if (level_set) {
      grid->setName("surface");
    } else {
      openvdb::tools::sdfToFogVolume(*grid); // inside 1 (active), band 0..1, outside inactive background 0
      grid->setName("density");
      grid->setGridClass(openvdb::GRID_FOG_VOLUME);
    }
    // scenes/data/ is not committed: create it (or any missing parent) on first use.
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    if (std::filesystem::path(path).extension() == ".nvdb") {
#if LIBINDEX_TOOL_NANOVDB
      nanovdb::io::writeGrid(path, nanovdb::openToNanoVDB(*grid));
#else
      throw std::runtime_error("this build has no NanoVDB");
#endif
    } else {
      openvdb::io::File file(path);
      file.write({grid});
      file.close();
    }
    const auto bbox = grid->evalActiveVoxelBoundingBox();
    std::printf("make_vdb_sphere: wrote %s: grid '%s', active voxels %llu, bbox [%d %d %d .. %d %d %d]\n", path.c_str(),
                grid->getName().c_str(), static_cast<unsigned long long>(grid->activeVoxelCount()), bbox.min().x(),
                bbox.min().y(), bbox.min().z(), bbox.max().x(), bbox.max().y(), bbox.max().z());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_vdb_sphere: cannot write '%s': %s\n", path.c_str(), e.what());
    return 1;
  }
  return 0;
}
