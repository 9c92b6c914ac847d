// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: a .prj text through io::ProjectFile::add_text and io::load_scene, then what a
// session does next with each volume: its render settings, the first time step's source, a read of
// a 2x2x2 box, and opening its next time step. Inputs of odd length are loaded as a scene from the
// network (a PathPolicy with the data/ folder as its root), even ones as a trusted file.
//
// The fuzzer runs in a temporary working directory holding the files the seed scenes name:
// colormaps/*.cmap (copies of scenes/colormaps), data/tiny_4x4x4_uint8.raw, data/tiny.nrrd,
// data/step_0000.nrrd and data/step_0001.nrrd (a time series), data/tiny.nhdr with
// data/tiny_data.raw, and an empty (sparse) data/skull_256x256x256_uint8.raw. ${NVINDEX_DATA}
// expands to "data".
//
// Allowed outcomes: libindex::Error, or a scene whose volumes satisfy what the renderer relies on
// (checked below). Anything else is a finding.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_util.h"
#include "libindex/error.h"
#include "libindex/io/path_policy.h"
#include "libindex/io/project_file.h"
#include "libindex/io/scene.h"

namespace {

std::shared_ptr<const libindex::io::PathPolicy> network_policy;

std::string tiny_nrrd(const std::string& type, const std::string& extra, size_t bytes) {
  std::string s = "NRRD0004\ntype: " + type + "\ndimension: 3\nsizes: 4 4 4\nencoding: raw\n" + extra + "\n";
  for (size_t i = 0; i < bytes; ++i) s += char(i * 5 + 1);
  return s;
}

bool positive(float v) { return std::isfinite(v) && v > 0; }

void check_volume(const libindex::io::SceneDescription& scene, const libindex::io::VolumeDesc& v) {
  using libindex::Box3i;
  if (!v.source) std::abort();
  const Box3i box = v.source->box();
  if (box.empty() || !box.contains(v.clip_region) || v.clip_region.empty()) std::abort();
  if (v.colormap.entries.size() < 2) std::abort();
  if (!positive(v.sampling_distance) || !positive(v.sampling_distance_reference)) std::abort();
  const libindex::Vec3f spacing = v.spacing;
  if (!positive(spacing.x) || !positive(spacing.y) || !positive(spacing.z)) std::abort();
  (void)libindex::io::render_settings(scene, v);
  (void)v.source->describe();
  // A corner of the clip region, as a rank reads its brick.
  const libindex::Vec3i lo = v.clip_region.lo;
  const Box3i corner{lo,
                     {std::min(lo.x + 2, v.clip_region.hi.x), std::min(lo.y + 2, v.clip_region.hi.y),
                      std::min(lo.z + 2, v.clip_region.hi.z)}};
  const libindex::Brick brick = v.source->read(corner);
  if (!(brick.box == corner)) std::abort();
  if (v.time_last > v.time_first) {
    const auto next = v.open_step(v.time_first + 1);
    if (!next || !(next->box() == box)) std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  namespace fz = libindex::fuzz;
  fz::absolute_paths(argc, argv);
  const std::string dir = fz::enter_temp_dir("prj");
  for (const char* name : {"supernova_fire.cmap", "cool_warm.cmap"})
    fz::write_file(std::string("colormaps/") + name,
                   fz::read_file(std::string(LIBINDEX_SCENES_DIR) + "/colormaps/" + name));
  std::string raw(64, '\0');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = char(i * 3);
  fz::write_file("data/tiny_4x4x4_uint8.raw", raw);
  fz::write_file("data/tiny.nrrd", tiny_nrrd("uchar", "spacings: 1 2 0.5\n", 64));
  fz::write_file("data/step_0000.nrrd", tiny_nrrd("uchar", "", 64));
  fz::write_file("data/step_0001.nrrd", tiny_nrrd("uchar", "", 64));
  fz::write_file("data/tiny.nhdr", "NRRD0004\ntype: ushort\ndimension: 3\nsizes: 4 4 4\nendian: big\n"
                                   "encoding: raw\ndata file: tiny_data.raw\n");
  fz::write_file("data/tiny_data.raw", std::string(128, '\x01'));
  fz::write_file("data/skull_256x256x256_uint8.raw", "");
  if (::truncate("data/skull_256x256x256_uint8.raw", off_t(256) * 256 * 256) != 0) std::abort();
  ::setenv("NVINDEX_DATA", "data", 1);
  network_policy = std::make_shared<libindex::io::PathPolicy>(std::vector<std::string>{dir + "/data"});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    libindex::io::ProjectFile project;
    project.add_text(text, "fuzz.prj", size % 2 ? network_policy : nullptr);
    const libindex::io::SceneDescription scene = libindex::io::load_scene(project);
    if (scene.canvas_width <= 0 || scene.canvas_height <= 0) std::abort();
    for (const auto& v : scene.volumes) check_volume(scene, v);
  } catch (const libindex::Error& e) {
    libindex::fuzz::expected_error(e);
  }
  return 0;
}
