// SPDX-License-Identifier: Apache-2.0
// roi.*, render.*, view.interaction: what is sampled and how, the canvas, the backend (and plane.*,
// plane_methods.cpp).
#include <algorithm>

#include "libindex/error.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;
using streaming::param_or;

namespace {

json roi_json(const ViewState& s) {
  // The region as it applies: within the volume, and never inverted (a region the volume has since
  // moved away from shows nothing: a box of no size at its nearest corner).
  Box3f r = intersect(s.frame.settings.region_of_interest, s.view.volume_box);
  for (int a = 0; a < 3; ++a) r.hi[a] = std::max(r.hi[a], r.lo[a]);
  const Box3f& v = s.view.volume_box;
  return {{"min", to_json(r.lo)}, {"max", to_json(r.hi)}, {"volume_min", to_json(v.lo)}, {"volume_max", to_json(v.hi)}};
}

json render_json(const ViewState& s) {
  const RenderSettings& r = s.frame.settings;
  return {{"sampling_distance", r.sampling_distance},
          {"shading", r.shading.enabled},
          {"jitter", r.jitter},
          {"mode", r.mode == RenderMode::maximum_intensity ? "mip" : "dvr"},
          {"skipping", r.empty_space_skipping},
          {"early_termination", r.early_termination},
          {"backend", kernels::to_string(s.backend)},
          {"width", s.frame.width},
          {"height", s.frame.height}};
}

} // namespace

void add_render_methods(streaming::RpcDispatcher& rpc, ViewState& s) {
  rpc.add({"roi.get",
           "The region of interest and the volume's box (scene space).",
           json::object(),
           {{"type", "object"}},
           {}},
          [&s](const json&) { return roi_json(s); });
  rpc.add(
      {"roi.set",
       "Sets the region of interest (scene space).",
       {{"min", param_doc("number[3]", "lower corner", true)}, {"max", param_doc("number[3]", "upper corner", true)}},
       {{"type", "object"}},
       {"-32602 when min > max on an axis, or the region lies outside the volume's box"}},
      [&s](const json& q) {
        const Box3f r{vec3_param(q, "min"), vec3_param(q, "max")};
        for (int a = 0; a < 3; ++a)
          if (r.lo[a] > r.hi[a]) bad("'min' must not exceed 'max'");
        const Box3f& v = s.view.volume_box;
        for (int a = 0; a < 3; ++a)
          if (!v.empty() && (r.hi[a] < v.lo[a] || r.lo[a] > v.hi[a]))
            bad("the region lies outside the volume's box (" + to_json(v.lo).dump() + " to " + to_json(v.hi).dump() +
                ")");
        s.frame.settings.region_of_interest = r;
        s.dirty = true;
        return roi_json(s);
      });

  rpc.add({"render.get", "Rendering settings.", json::object(), {{"type", "object"}}, {}},
          [&s](const json&) { return render_json(s); });
  rpc.add({"render.set",
           "Changes rendering settings (any subset).",
           {{"sampling_distance", param_doc("number", "> 0, at most 1e5 samples across the volume")},
            {"shading", param_doc("boolean", "headlight gradient shading")},
            {"jitter", param_doc("boolean", "per-pixel lattice jitter")},
            {"mode", param_doc("string", "dvr or mip")},
            {"skipping", param_doc("boolean", "empty-space skipping")},
            {"early_termination", param_doc("boolean", "stop opaque rays")},
            {"backend", param_doc("string", "auto, cpu or cuda")},
            {"width", param_doc("integer", "canvas width")},
            {"height", param_doc("integer", "canvas height; width x height at most 4096x4096 pixels")}},
           {{"type", "object"}},
           {"-32602 for out-of-range values", "-32000 when the backend is unavailable"}},
          [&s](const json& q) {
            RenderSettings r = s.frame.settings;
            r.sampling_distance = param_or<float>(q, "sampling_distance", r.sampling_distance);
            try {
              s.check_sampling_distance(r.sampling_distance);
            } catch (const Error& e) {
              bad(e.what());
            }
            r.shading.enabled = param_or<bool>(q, "shading", r.shading.enabled);
            r.jitter = param_or<bool>(q, "jitter", r.jitter);
            r.empty_space_skipping = param_or<bool>(q, "skipping", r.empty_space_skipping);
            r.early_termination = param_or<bool>(q, "early_termination", r.early_termination);
            const std::string mode =
                param_or<std::string>(q, "mode", r.mode == RenderMode::maximum_intensity ? "mip" : "dvr");
            if (mode != "mip" && mode != "dvr") bad("'mode' must be dvr or mip");
            r.mode = mode == "mip" ? RenderMode::maximum_intensity : RenderMode::direct_volume;
            const int w = param_or<int>(q, "width", s.frame.width), h = param_or<int>(q, "height", s.frame.height);
            try {
              s.check_size(w, h);
            } catch (const Error& e) {
              bad(e.what());
            }
            kernels::BackendKind backend = s.backend;
            if (q.contains("backend")) {
              const std::string b = param<std::string>(q, "backend");
              if (b != "auto" && b != "cpu" && b != "cuda") bad("'backend' must be auto, cpu or cuda");
              std::string reason;
              if (b == "cuda" && !kernels::cuda_device_available(&reason))
                throw streaming::RpcError(streaming::server_error, "backend cuda unavailable: " + reason);
              backend = kernels::parse_backend_kind(b);
            }
            s.backend = backend;
            s.frame.settings = r;
            s.resize_canvas(w, h);
            s.dirty = true;
            return render_json(s);
          });
  rpc.add({"view.interaction",
           "Tells the server the user is dragging (reduced resolution) or has stopped.",
           {{"active", param_doc("boolean", "true while input is going on", true)}},
           {{"type", "object"}},
           {"-32602 when 'active' is missing or not a boolean"}},
          [&s](const json& q) {
            const bool active = param<bool>(q, "active");
            if (!active && s.interactive) s.refine = true;
            s.interactive = active;
            return json{{"active", active}};
          });
  add_plane_methods(rpc, s);
}

} // namespace libindex::rpc
