// SPDX-License-Identifier: Apache-2.0
// colormap.*: get, presets, set (preset, table, domain, boundary mode, opacity curve).
#include <algorithm>
#include <array>

#include "libindex/error.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;

namespace {

/// The longest table colormap.set takes: IndeX's own tables have 256 entries.
constexpr size_t kMaxEntries = 65536;

/// Applies a piecewise-linear opacity curve [[x, alpha], ...] (x in [0,1]) to a table's alphas.
void apply_opacity_points(Colormap& m, const std::vector<std::array<float, 2>>& points) {
  if (points.empty()) return;
  for (size_t i = 0; i < m.entries.size(); ++i) {
    const float x = m.entries.size() > 1 ? float(i) / float(m.entries.size() - 1) : 0.0f;
    float a = points.front()[1];
    for (size_t k = 0; k + 1 < points.size(); ++k)
      if (x >= points[k][0] && x <= points[k + 1][0]) {
        const float span = points[k + 1][0] - points[k][0];
        a = span > 0 ? lerpf(points[k][1], points[k + 1][1], (x - points[k][0]) / span) : points[k + 1][1];
      }
    if (x > points.back()[0]) a = points.back()[1];
    m.entries[i].w = clampf(a, 0, 1);
  }
}

/// Another volume's colormap as clients see it before any edit: the scene's, over its data range
/// when the scene sets no domain and a frame has counted its values.
ViewState::VolumeColormap scene_colormap(const ViewState& s, size_t index) {
  const io::VolumeDesc& v = s.view.scene.volumes[index];
  ViewState::VolumeColormap c{v.colormap, v.colormap_preset, {}};
  if (!v.domain_given && index < s.other_statistics.size())
    if (const auto d = data_domain_of(s.view, index, s.other_statistics[index]))
      c.colormap.domain_min = d->first, c.colormap.domain_max = d->second;
  return c;
}

/// Volume `index`'s colormap now (a copy): index 0 is the view's own.
ViewState::VolumeColormap current_colormap(const ViewState& s, size_t index) {
  if (index == 0) return {s.frame.colormap, s.preset, s.opacity_points};
  const auto it = s.other_colormaps.find(index);
  return it != s.other_colormaps.end() ? it->second : scene_colormap(s, index);
}

/// Makes `c` volume `index`'s colormap.
void set_colormap(ViewState& s, size_t index, ViewState::VolumeColormap c) {
  if (index > 0) {
    s.other_colormaps[index] = std::move(c);
    return;
  }
  s.frame.colormap = std::move(c.colormap);
  s.preset = std::move(c.preset);
  s.opacity_points = std::move(c.opacity_points);
}

json colormap_json(const ViewState::VolumeColormap& c) {
  json j = colormap_to_json(c.colormap);
  j["preset"] = c.preset.empty() ? json(nullptr) : json(c.preset);
  // The curve a client drew, so every client draws the same one (null: none; the table's alphas).
  j["opacity_points"] = c.opacity_points.empty() ? json(nullptr) : json(c.opacity_points);
  return j;
}

} // namespace

void add_colormap_methods(streaming::RpcDispatcher& rpc, ViewState& s) {
  rpc.add({"colormap.get",
           "A volume's colormap (the first volume's unless 'volume' names another): entries (straight RGBA), "
           "domain, boundary mode, NaN colour (null when none), preset, and the opacity curve last set "
           "(opacity_points, null when none).",
           {{"volume", param_doc("string", "id of the scene's volume (scene.info lists them); default: the first")}},
           {{"type", "object"}},
           {"-32602 for an unknown volume"}},
          [&s](const json& q) { return colormap_json(current_colormap(s, volume_param(s, q))); });
  rpc.add({"colormap.presets", "Names colormap.set accepts as 'preset'.", json::object(), {{"type", "string[]"}}, {}},
          [](const json&) { return json(colormap_preset_names()); });
  rpc.add(
      {"colormap.set",
       "Sets a volume's colormap (the first volume's unless 'volume' names another) from a preset or a table, its "
       "domain, boundary mode, NaN colour and opacity curve.",
       {{"volume", param_doc("string", "id of the scene's volume (scene.info lists them); default: the first")},
        {"preset", param_doc("string", "viridis, magma, inferno, plasma, cool-warm, grayscale, supernova, jet")},
        {"entries", param_doc("number[][4]", "straight RGBA entries in [0,1], at most 65536")},
        {"domain", param_doc("number[2]", "value range mapped onto the table")},
        {"boundary_mode", param_doc("string", "clamp_to_edge or clamp_to_transparent")},
        {"nan_color", param_doc("number[4]|null", "straight RGBA of NaN values (ParaView's NanColor and NanOpacity); "
                                                  "null: NaN reads as below the domain")},
        {"opacity_points", param_doc("number[][2]", "piecewise-linear opacity curve [[x, alpha], ...], x in [0,1]")}},
       {{"type", "object"}},
       {"-32602 for an unknown volume or preset, or a malformed table"}},
      [&s](const json& q) {
        const size_t index = volume_param(s, q);
        ViewState::VolumeColormap c = current_colormap(s, index); // a copy: a refused request changes nothing
        Colormap& m = c.colormap;
        std::string& preset = c.preset;
        std::vector<std::array<float, 2>>& points = c.opacity_points;
        if (q.contains("preset")) {
          preset = param<std::string>(q, "preset");
          try {
            m.entries = colormap_preset(preset).entries;
          } catch (const Error& e) {
            bad(std::string("'preset': ") + e.what());
          }
        }
        if (q.contains("entries")) {
          const auto e = param<std::vector<std::array<float, 4>>>(q, "entries");
          if (e.empty() || e.size() > kMaxEntries) bad("'entries' must hold 1 to 65536 entries");
          m.entries.clear();
          for (const auto& x : e) {
            for (float v : x)
              if (!(v >= 0 && v <= 1)) bad("'entries' values must be in [0, 1]");
            m.entries.push_back({x[0], x[1], x[2], x[3]});
          }
          preset.clear();
          points.clear(); // a table brings its own alphas
        }
        if (q.contains("domain")) {
          const auto d = param<std::array<float, 2>>(q, "domain");
          if (!(d[0] != d[1])) bad("'domain' min and max must differ");
          m.domain_min = d[0], m.domain_max = d[1];
        }
        if (q.contains("boundary_mode")) {
          try {
            m.mode = parse_boundary_mode(param<std::string>(q, "boundary_mode"));
          } catch (const Error& e) {
            bad(std::string("'boundary_mode': ") + e.what());
          }
        }
        if (q.contains("nan_color")) {
          if (q.at("nan_color").is_null()) {
            m.nan_color.reset();
          } else {
            const auto n = param<std::array<float, 4>>(q, "nan_color");
            for (float v : n)
              if (!(v >= 0 && v <= 1)) bad("'nan_color' values must be in [0, 1]");
            m.nan_color = Vec4f{n[0], n[1], n[2], n[3]};
          }
        }
        if (q.contains("opacity_points")) {
          points = param<std::vector<std::array<float, 2>>>(q, "opacity_points");
          for (const auto& p : points)
            if (!(p[0] >= 0 && p[0] <= 1 && p[1] >= 0 && p[1] <= 1)) bad("'opacity_points' values must be in [0, 1]");
          if (!std::is_sorted(points.begin(), points.end(), [](const auto& a, const auto& b) { return a[0] < b[0]; }))
            bad("'opacity_points' must be sorted by x");
        }
        apply_opacity_points(m, points); // also over a new preset: the curve stays until replaced
        if (index == 0 && q.contains("domain")) s.fit_domain = false; // the client's domain, not the data range
        set_colormap(s, index, c);
        s.dirty = true;
        return colormap_json(current_colormap(s, index));
      });
}

} // namespace libindex::rpc
