// SPDX-License-Identifier: Apache-2.0
// plane.*: slice planes through the volume (IndeX `plane` nodes), listed, placed and removed live.
#include <string>

#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;

namespace {

json planes_json(const ViewState& s) {
  const RenderSettings& r = s.frame.settings;
  json list = json::array();
  for (int i = 0; i < r.plane_count; ++i) {
    const SlicePlane& p = r.planes[i];
    list.push_back({{"point", to_json(p.point)},
                    {"normal", to_json(p.normal)},
                    {"up", to_json(p.up)},
                    {"extent", {p.extent_x, p.extent_y}}});
  }
  return {{"planes", list}, {"max", kMaxSlicePlanes}};
}

int plane_index(const json& q, int count, bool may_append) {
  const int i = param<int>(q, "index");
  if (i < 0 || i > count || (i == count && !may_append))
    bad("'index' must be 0.." + std::to_string(may_append ? count : count - 1) + " (there are " +
        std::to_string(count) + " planes)");
  if (i == kMaxSlicePlanes) bad("at most " + std::to_string(kMaxSlicePlanes) + " planes");
  return i;
}

SlicePlane plane_param(const json& q) {
  SlicePlane p;
  p.point = vec3_param(q, "point");
  if (!plane_normal(vec3_param(q, "normal"), p.normal)) bad("'normal' must not be zero");
  if (!plane_up(vec3_param(q, "up"), p.normal, p.up)) bad("'up' must not be zero or along the normal");
  const json& e = q.contains("extent") ? q["extent"] : json();
  if (!e.is_array() || e.size() != 2 || !e[0].is_number() || !e[1].is_number()) bad("'extent' must be [width, height]");
  p.extent_x = e[0].get<float>(), p.extent_y = e[1].get<float>();
  if (!(p.extent_x > 0 && p.extent_y > 0 && p.extent_x < 3.0e38f && p.extent_y < 3.0e38f))
    bad("'extent' must be two positive finite sizes");
  return p;
}

} // namespace

void add_plane_methods(streaming::RpcDispatcher& rpc, ViewState& s) {
  rpc.add({"plane.list",
           "The slice planes: corner point, unit normal and up, extent [width along up x normal, height "
           "along up] (scene space).",
           json::object(),
           {{"type", "object"}},
           {}},
          [&s](const json&) { return planes_json(s); });
  rpc.add({"plane.set",
           "Places slice plane `index` (the count appends one). It shows the volume's values through the "
           "planes' colormap (the one in scope at the scene's plane nodes, else the volume's), opaque; the "
           "volume in front of it is drawn over it.",
           {{"index", param_doc("integer", "0 .. number of planes (at most 4 planes)", true)},
            {"point", param_doc("number[3]", "the rectangle's lower left corner", true)},
            {"normal", param_doc("number[3]", "not zero", true)},
            {"up", param_doc("number[3]", "not along the normal; its part in the plane is used", true)},
            {"extent", param_doc("number[2]", "width (along up x normal) and height (along up), > 0", true)}},
           {{"type", "object"}},
           {"-32602 for a bad index or plane"}},
          [&s](const json& q) {
            RenderSettings& r = s.frame.settings;
            const int i = plane_index(q, r.plane_count, true);
            const SlicePlane p = plane_param(q); // validated before anything changes
            r.planes[i] = p;
            if (i == r.plane_count) ++r.plane_count;
            s.dirty = true;
            return planes_json(s);
          });
  rpc.add({"plane.remove",
           "Removes slice plane `index`; the later ones move down by one.",
           {{"index", param_doc("integer", "0 .. number of planes - 1", true)}},
           {{"type", "object"}},
           {"-32602 for a bad index"}},
          [&s](const json& q) {
            RenderSettings& r = s.frame.settings;
            const int i = plane_index(q, r.plane_count, false);
            for (int j = i; j + 1 < r.plane_count; ++j) r.planes[j] = r.planes[j + 1];
            r.planes[--r.plane_count] = SlicePlane{};
            s.dirty = true;
            return planes_json(s);
          });
}

} // namespace libindex::rpc
