// SPDX-License-Identifier: Apache-2.0
// make_vdb_sphere <out.vdb|out.nvdb> [voxels_across=64] [level-set]: writes a fog-volume sphere (grid
// "density": 1 inside, falling to 0 across a narrow band at the surface, inactive outside) for
// scenes/vdb_sphere.prj and the tests, so no volume data is ever committed; with `level-set`, the
// level set it is made from (grid "surface": signed distances, -3 inside to 3 outside, the band
// active), as OpenVDB's sample models are. A .nvdb name writes the same grid converted to NanoVDB.
#include <cctype>
#include <charconv>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <openvdb/openvdb.h>
#include <openvdb/tools/LevelSetSphere.h>
#include <openvdb/tools/LevelSetUtil.h>
#if LIBINDEX_TOOL_NANOVDB
#include <nanovdb/util/IO.h>
#include <nanovdb/util/OpenToNanoVDB.h>
#endif

namespace {

constexpr const char* kUsage =
    "usage: make_vdb_sphere <out.vdb|out.nvdb> [voxels_across=64] [level-set]\n"
    "  Writes a fog-volume sphere voxels_across (4..4096) voxels wide: grid 'density', 1 inside, falling to 0\n"
    "  across a narrow band at the surface. With level-set, the level set it is made from instead (grid\n"
    "  'surface', signed distances). A name ending in .nvdb writes the grid as NanoVDB.\n";

int usage_error(const std::string& what) {
  std::fprintf(stderr, "make_vdb_sphere: error: %s (see --help)\n", what.c_str());
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") return std::fputs(kUsage, stdout), 0;
  for (const std::string& a : args) // "-5" is a (refused) number, "-x" an option
    if (a.size() > 1 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1])))
      return usage_error("unknown option '" + a + "'");
  if (args.empty() || args.size() > 3) return usage_error("expected <out.vdb|out.nvdb> [voxels_across] [level-set]");
  const bool level_set = args.size() == 3 && args[2] == "level-set";
  if (args.size() == 3 && !level_set)
    return usage_error("the third argument can only be 'level-set', not '" + args[2] + "'");
  const std::string& path = args[0];
  int across = 64;
  if (args.size() >= 2) {
    const std::string& text = args[1];
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), across);
    if (error != std::errc() || end != text.data() + text.size() || across < 4 || across > 4096)
      return usage_error("voxels_across must be a whole number from 4 to 4096, not '" + text + "'");
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
