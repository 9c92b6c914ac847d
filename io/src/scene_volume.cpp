// SPDX-License-Identifier: Apache-2.0
// sparse_volume nodes: which importer, which file (and time step), and the source that reads it.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

#include "file_types.h"
#include "libindex/error.h"
#include "libindex/io/nrrd_reader.h"
#include "libindex/io/open_volume.h"
#include "libindex/io/raw_reader.h"
#include "libindex/io/synthetic.h"
#include "libindex/io/vdb_reader.h"
#include "libindex/io/volume_properties.h"
#include "lowercase.h"
#include "scene_internal.h"

namespace libindex::io {
namespace {

using detail::dims_text;
using detail::find_attribute;
using detail::required_attribute;

// IndeX names importers by plugin class; libindex by format. Both are accepted.
std::string importer_of(const SceneNode& node) {
  const Value* v = find_attribute(node, "importer");
  if (!v) {
    // No importer: tell the format from the file name, as `viewer file.nrrd` does.
    if (find_attribute(node, "generator")) return "synthetic";
    std::string ext;
    if (const Value* f = find_attribute(node, "input_file"))
      ext = std::filesystem::path(f->text).extension().string();
    else if (const Value* e = find_attribute(node, "input_file_extension"))
      ext = e->text.empty() || e->text[0] == '.' ? e->text : "." + e->text;
    if (const auto importer = importer_for_extension(ext)) return *importer;
    throw Error(node.origin.to_string() + ": sparse_volume node '" + node.id +
                "' needs 'importer' (raw, synthetic, nrrd, openvdb or nanovdb)");
  }
  const std::string& t = v->text;
  if (t == "raw" || t == "synthetic" || t == "nrrd" || t == "openvdb" || t == "nanovdb") return t;
  if (t == "vdb") return "openvdb"; // older IndeX viewers
  // IndeX's plugin class names, in any case: ...Sparse_volume_importer_raw, ...NanoVDB_importer, ...
  const std::string lower = detail::lowercase(t);
  auto has = [&lower](const char* part) { return lower.find(part) != std::string::npos; };
  if (has("importer_raw") || has("raw_importer")) return "raw";
  if (has("nanovdb") || has("nvdb")) return "nanovdb";
  if (has("vdb")) return "openvdb";
  fail(*v, "unknown importer (raw, synthetic, nrrd, openvdb, nanovdb, or IndeX's "
           "nv::index::plugin::base_importer.Sparse_volume_importer_raw)");
}

struct InputPath {
  const Value* value; // the attribute errors about this file name
  std::string path;   // resolved, existing
};

// IndeX's own numbering of a series' files (its importers): input_file_base_name, then the step's
// number `offset + step * stride` with `length` digits, zero-padded, then input_file_extension.
// Length 0, IndeX's default, numbers nothing.
struct StepNumbering {
  int length = 0, stride = 1, offset = 0;
};

std::optional<StepNumbering> step_numbering(const SceneNode& node) {
  const Value* length = find_attribute(node, "input_time_step_enum_length");
  if (!length) return std::nullopt;
  StepNumbering n;
  n.length = as_int(*length);
  if (n.length < 0 || n.length > 18) fail(*length, "the number of digits must be 0 to 18");
  if (n.length == 0) return std::nullopt;
  if (const Value* stride = find_attribute(node, "input_time_step_enum_stride")) {
    n.stride = as_int(*stride);
    if (n.stride < 1) fail(*stride, "the stride between step numbers must be at least 1");
  }
  if (const Value* offset = find_attribute(node, "input_time_step_enum_offset")) {
    n.offset = as_int(*offset);
    if (n.offset < 0) fail(*offset, "the first step's number must not be negative");
  }
  return n;
}

std::string numbered(const StepNumbering& n, int step) {
  const std::string digits = std::to_string((long long)n.offset + (long long)step * n.stride);
  return std::string(digits.size() < size_t(n.length) ? size_t(n.length) - digits.size() : 0, '0') + digits;
}

// input_file, or input_directory / input_file_base_name + input_file_extension; with time steps the
// file name's printf directive takes the step number, or IndeX's numbering follows the base name.
InputPath input_path(const SceneNode& node, std::optional<int> step) {
  if (const Value* f = find_attribute(node, "input_file")) {
    const std::string name = step ? detail::format_step(*f, f->text, *step) : f->text;
    return {f, detail::resolve_input_path(*f, name)};
  }
  const Value* base = find_attribute(node, "input_file_base_name");
  if (!base)
    throw Error(node.origin.to_string() + ": sparse_volume node '" + node.id +
                "' needs 'input_file' or 'input_file_base_name'");
  const std::optional<StepNumbering> numbering = step_numbering(node);
  std::string name = !step       ? base->text
                     : numbering ? base->text + numbered(*numbering, *step)
                                 : detail::format_step(*base, base->text, *step);
  if (const Value* e = find_attribute(node, "input_file_extension"); e && !e->text.empty())
    name += e->text[0] == '.' ? e->text : "." + e->text;
  const Value* dir = find_attribute(node, "input_directory");
  if (dir && !dir->text.empty()) {
    // Blame both names on failure; a relative directory is relative to the file that set it.
    Value joined = *base;
    joined.key = dir->key + " + " + base->key;
    joined.text = dir->text + " + " + base->text;
    return {base, detail::resolve_input_path(joined, (std::filesystem::path(dir->text) / name).string(),
                                             dir->origin.directory())};
  }
  return {base, detail::resolve_input_path(*base, name)};
}

FileType voxel_format(const Value& v) {
  // IndeX's colour and vector voxels (rgba8, float32_2, float32_4): several values a voxel.
  if (v.text == "rgba8" || v.text == "rgba" || v.text.rfind("float32_", 0) == 0)
    fail(v, v.text + " volumes are not supported (libindex renders scalar volumes through a colormap)");
  try {
    return parse_file_type(v.text);
  } catch (const Error& e) {
    fail(v, e.what());
  }
}

// The raw layout from bbox, voxel_format, endian, convert_zyx_to_xyz and the Open SciVis file name.
// The scene's own size, bbox and voxel_format win over what the file name says, as in IndeX, which
// reads no names (NVIDIA's public microscopy scene names a 3170 x 4113 volume "..._4113x3170x840"):
// a difference is said in `warnings` (when given).
RawLayout raw_layout(const SceneNode& node, const InputPath& in, std::vector<std::string>* warnings) {
  const auto differs = [&](const Value& v, const std::string& what) {
    if (warnings) warnings->push_back(v.where() + ": the file name says " + what + "; the scene's value is used");
  };
  const std::string& path = in.path;
  const Value* bbox_value = find_attribute(node, "bbox");
  const Value* format_value = find_attribute(node, "voxel_format");
  std::optional<ScivisName> scivis;
  try {
    scivis = parse_scivis_name(path);
  } catch (const Error& e) {
    fail(*in.value, e.what());
  }
  RawLayout layout;
  layout.path = path;
  if (const Value* size_value = find_attribute(node, "size")) { // IndeX's voxel counts; bbox may stretch them
    const auto n = as_ints(*size_value);
    if (n.size() != 1 && n.size() != 3) fail(*size_value, "expected 3 voxel counts (or one, for a cube)");
    layout.dims = n.size() == 1 ? Vec3i{n[0], n[0], n[0]} : Vec3i{n[0], n[1], n[2]};
    if (!(layout.dims.x > 0 && layout.dims.y > 0 && layout.dims.z > 0))
      fail(*size_value, "the voxel counts must be positive");
    if (scivis && !(scivis->dims == layout.dims)) differs(*size_value, dims_text(scivis->dims));
  } else if (bbox_value) {
    const Box3i b = as_box3i(*bbox_value);
    if (b.empty()) fail(*bbox_value, "the bbox is empty");
    layout.dims = b.size();
    if (scivis && !(scivis->dims == layout.dims)) differs(*bbox_value, dims_text(scivis->dims));
  } else if (scivis) {
    layout.dims = scivis->dims;
  } else {
    required_attribute(node, "bbox"); // throws: the size is nowhere else
  }
  if (format_value) {
    layout.type = voxel_format(*format_value);
    if (scivis && scivis->type != layout.type) differs(*format_value, to_string(scivis->type));
  } else if (scivis) {
    layout.type = scivis->type;
  } else {
    required_attribute(node, "voxel_format");
  }
  if (const Value* e = find_attribute(node, "endian")) {
    if (e->text == "big")
      layout.endian = Endian::big;
    else if (e->text != "little")
      fail(*e, "endian must be little or big");
  }
  if (const Value* z = find_attribute(node, "convert_zyx_to_xyz")) layout.z_fastest = as_bool(*z);
  return layout;
}

// Opens the node's source for one time step (nullopt: not a time series). Reads headers only.
std::shared_ptr<VolumeSource> open_node_source(const SceneNode& node, const std::string& importer,
                                               std::optional<int> step, std::vector<std::string>* warnings) {
  if (importer == "synthetic") {
    const Value& generator = required_attribute(node, "generator");
    int size = 0;
    if (const Value* s = find_attribute(node, "size")) {
      const auto n = as_ints(*s);
      if (n.size() != 1 && !(n.size() == 3 && n[0] == n[1] && n[1] == n[2]))
        fail(*s, "synthetic volumes are cubes: expected one size or three equal sizes");
      size = n[0];
      if (size < 1) fail(*s, "the size must be at least 1");
    } else if (const Value* b = find_attribute(node, "bbox")) {
      const Vec3i d = as_box3i(*b).size();
      if (d.x != d.y || d.y != d.z) fail(*b, "synthetic volumes are cubes");
      size = d.x;
    } else {
      required_attribute(node, "size");
    }
    try {
      return make_synthetic(generator.text, size);
    } catch (const Error& e) {
      fail(generator, e.what());
    }
  }
  const InputPath in = input_path(node, step);
  const Value* grid = find_attribute(node, "grid");
  const RawLayout layout = importer == "raw" ? raw_layout(node, in, warnings) : RawLayout{};
  // Reader errors name the file; prefix them with the key that named it.
  try {
    if (importer == "raw") return open_raw(layout);
    if (importer == "nrrd") return open_nrrd(in.path, in.value->origin.policy.get(), warnings);
    if (importer == "openvdb") return open_openvdb(in.path, grid ? grid->text : "", warnings);
    if (importer == "nanovdb") return open_nanovdb(in.path, grid ? grid->text : "", warnings);
  } catch (const Error& e) {
    fail(*in.value, e.what());
  }
  throw Error("unreachable importer " + importer);
}

} // namespace

VolumeDesc build_volume(const SceneNode& node, const SceneAttributes& state, std::vector<std::string>& warnings) {
  if (node.type != "sparse_volume")
    throw Error(node.origin.to_string() + ": app::scene::" + node.id + "::type = '" + node.type +
                "': not a sparse_volume");
  detail::check_node_attributes(node, warnings);
  VolumeDesc d;
  d.id = node.id;
  d.origin = node.origin;
  d.name = find_attribute(node, "name") ? find_attribute(node, "name")->text : node.id;
  if (const Value* unit = find_attribute(node, "unit")) d.unit = unit->text;
  d.importer = importer_of(node);
  d.colormap = state.colormap;
  d.colormap_id = state.colormap_id;
  d.domain_given = state.colormap_domain_given;
  d.colormap_preset = state.colormap_preset;
  d.sampling_distance = state.sampling_distance;
  d.sampling_distance_reference = state.sampling_distance_reference;
  d.nearest_filter = state.nearest_filter;
  d.shading = state.shading;
  d.light_direction = state.light_direction;
  d.program = state.program;
  if (d.program) d.program->buffers = state.program_buffers, d.program->slots = state.program_slots;

  std::optional<int> first_step;
  if (const Value* t = find_attribute(node, "time_steps")) {
    const auto steps = as_ints(*t, 2);
    if (steps[1] < steps[0]) fail(*t, "the last step comes before the first");
    d.time_first = steps[0];
    d.time_last = steps[1];
    first_step = steps[0];
  } else if (step_numbering(node) && !find_attribute(node, "input_file")) {
    // IndeX's numbered files: steps 0 .. nb_time_steps - 1, or as many as there are files in a row.
    first_step = 0;
    if (const Value* n = find_attribute(node, "nb_time_steps")) {
      const int count = as_int(*n);
      if (count < 1) fail(*n, "a series has at least one time step");
      d.time_last = count - 1;
    } else {
      input_path(node, 0); // the first file must be there: its error names it
      constexpr int kMostSteps = 100000;
      while (d.time_last + 1 < kMostSteps) {
        try {
          input_path(node, d.time_last + 1);
        } catch (const Error&) {
          break;
        }
        ++d.time_last;
      }
    }
  }
  d.source = open_node_source(node, d.importer, first_step, &warnings);
  const Vec3i size = d.source->box().size();

  // `size` (IndeX's voxel counts) lets a bbox stretch the volume. A file that says otherwise wins, with
  // a warning: the counts were left from another file.
  bool size_given = d.importer == "synthetic";
  if (const Value* n = find_attribute(node, "size"); n && !size_given) {
    const auto counts = as_ints(*n);
    const Vec3i said = counts.size() == 1 ? Vec3i{counts[0], counts[0], counts[0]}
                                          : (counts.size() == 3 ? Vec3i{counts[0], counts[1], counts[2]} : Vec3i{});
    size_given = said == size;
    if (!size_given)
      warnings.push_back(n->where() + ": ignored: the volume has " + dims_text(size) + " voxels (" +
                         d.source->describe() + ")");
  }
  d.spacing = voxel_spacing(*d.source);

  // IndeX's bbox says where the volume sits. Over exactly `size` voxels with integer corners it is a
  // placement in voxel units; given with `size` (the voxel counts) it may be any box, and the volume
  // is stretched over it, its voxels bbox size / size apart.
  d.bbox = {{0, 0, 0}, size};
  // bbox coordinate = corner + voxel x stretch; in double, so a corner near INT_MAX stays exact
  std::array<double, 3> corner{0, 0, 0}, stretch{1, 1, 1};
  if (const Value* b = find_attribute(node, "bbox")) {
    std::optional<Box3i> whole; // integer corners, exactly `size` voxels: a placement in voxel units
    try {
      whole = as_box3i(*b);
    } catch (const Error&) {}
    if (whole && whole->size() == size) {
      d.bbox = *whole;
      corner = {double(whole->lo.x), double(whole->lo.y), double(whole->lo.z)};
    } else if (size_given) {
      const auto f = as_floats(*b, 6);
      const Vec3f lo{f[0], f[1], f[2]}, extent{f[3] - f[0], f[4] - f[1], f[5] - f[2]};
      if (!(extent.x > 0 && extent.y > 0 && extent.z > 0))
        fail(*b, "the bbox is empty (expected min x y z, then max x y z, each max above its min)");
      for (int a = 0; a < 3; ++a) {
        corner[size_t(a)] = lo[a], stretch[size_t(a)] = double(extent[a]) / size[a];
        // The renderer divides by the voxel size and multiplies corners by it: keep both in float range.
        if (!std::isfinite(f[size_t(a)]) || !std::isfinite(f[size_t(a) + 3]) || !std::isfinite(extent[a]) ||
            !(float(stretch[size_t(a)]) * d.spacing[a] >= 1e-20f) ||
            !(float(stretch[size_t(a)]) * d.spacing[a] <= 1e20f))
          fail(*b, "the bbox must be finite, its voxels between 1e-20 and 1e20 apart");
      }
      d.bbox_corner = lo * d.spacing;
      d.spacing = d.spacing * Vec3f{float(stretch[0]), float(stretch[1]), float(stretch[2])};
    } else {
      fail(*b, "bbox size does not match the volume's " + dims_text(size) + " (" + d.source->describe() +
                   "); give `size` too to stretch the volume over the bbox, as IndeX does");
    }
  }
  // A box in bbox coordinates as the voxels it touches (rounded out), relative to the source's box,
  // clamped to int (a box far from a bbox far out cannot overflow).
  auto voxels_of = [&](const std::array<double, 6>& c) {
    auto voxel = [](double v) { return int(std::clamp(v, -2.0e9, 2.0e9)); };
    Box3i box;
    for (size_t a = 0; a < 3; ++a) {
      box.lo[int(a)] = voxel(std::floor((c[a] - corner[a]) / stretch[a]));
      box.hi[int(a)] = voxel(std::ceil((c[a + 3] - corner[a]) / stretch[a]));
    }
    return box;
  };
  d.clip_region = d.source->box();
  if (const Value* c = find_attribute(node, "clip_region")) {
    const Box3i clip = as_box3i(*c); // bbox coordinates, like IndeX
    d.clip_region = intersect(voxels_of({double(clip.lo.x), double(clip.lo.y), double(clip.lo.z), double(clip.hi.x),
                                         double(clip.hi.y), double(clip.hi.z)}),
                              d.source->box());
    if (d.clip_region.empty()) fail(*c, "the clip region does not overlap the volume's bbox");
  }
  if (state.clip_box) {
    // A clip_region node's box, rounded out to whole voxels (libindex clips at voxel faces).
    const Box3f& c = *state.clip_box;
    d.clip_region = intersect(d.clip_region, voxels_of({c.lo.x, c.lo.y, c.lo.z, c.hi.x, c.hi.y, c.hi.z}));
    if (d.clip_region.empty()) fail(*state.clip_value, "this clip region leaves nothing of volume '" + node.id + "'");
  }

  // Each step is opened when asked for: a long series costs nothing until it is played.
  const std::shared_ptr<VolumeSource> first = d.source;
  d.open_step = [node, importer = d.importer, first, lo = d.time_first, hi = d.time_last,
                 series = first_step.has_value()](int step) -> std::shared_ptr<VolumeSource> {
    if (step < lo || step > hi)
      throw Error(node.origin.to_string() + ": volume '" + node.id + "': time step " + std::to_string(step) +
                  " is outside time_steps " + std::to_string(lo) + ".." + std::to_string(hi));
    if (step == lo) return first;
    auto source = open_node_source(node, importer, series ? std::optional<int>(step) : std::nullopt, nullptr);
    if (!(source->box() == first->box()) || source->dtype() != first->dtype())
      throw Error(node.origin.to_string() + ": volume '" + node.id + "': time step " + std::to_string(step) + " (" +
                  source->describe() + ") differs in size or type from step " + std::to_string(lo) + " (" +
                  first->describe() + ")");
    return source;
  };
  return d;
}

} // namespace libindex::io
