// SPDX-License-Identifier: Apache-2.0
// insitu.*: which field is shown, and the steering parameters; snapshot of the last frame.
#include "insitu_methods.h"

#include <algorithm>
#include <cmath>

#include "../rpc/rpc_json.h"

namespace libindex::insitu {
using nlohmann::json;
using streaming::param;

void add_insitu_methods(streaming::RpcDispatcher& rpc, InsituState& st, std::function<ServingCounts()> serving) {
  rpc.add({"insitu.status",
           "The simulation's step and time, the fields every rank publishes (as of the last update), the one shown, "
           "and the frames served.",
           json::object(),
           {{"type", "object"},
            {"description", "{step, time, fields: [names], shown, shown_dtype (uint8, uint16, sint16 or float32: "
                            "integer values reach the colormap normalized), frame, clients}"}},
           {}},
          [&st, serving](const json&) {
            const ServingCounts c = serving();
            const auto shown = std::find(st.field_names.begin(), st.field_names.end(), st.shown);
            const size_t index = size_t(shown - st.field_names.begin());
            return json{{"step", st.step},
                        {"time", st.time},
                        {"fields", st.field_names},
                        {"shown", st.shown},
                        {"shown_dtype", index < st.field_types.size() ? json(st.field_types[index]) : json(nullptr)},
                        {"frame", c.frames},
                        {"clients", c.command_clients}};
          });
  rpc.add({"session.stats",
           "Frame statistics, as the viewer's: fps (frames served a second, over the last ten), the last frame's "
           "render/composite ms and samples, ranks, backend, clients, frames served.",
           json::object(),
           {{"type", "object"}},
           {}},
          [&st, serving](const json&) {
            double fps = 0;
            if (st.served.size() >= 2) {
              const double seconds = std::chrono::duration<double>(st.served.back() - st.served.front()).count();
              if (seconds > 0) fps = double(st.served.size() - 1) / seconds;
            }
            const ServingCounts c = serving();
            return json{{"fps", fps},
                        {"render_ms", st.last_stats.render_ms},
                        {"composite_ms", st.last_stats.composite_ms},
                        {"samples", st.last_stats.samples},
                        {"ranks", st.ranks},
                        {"backend", st.backend},
                        {"frame", c.frames},
                        {"clients", {{"command", c.command_clients}, {"video", c.video_clients}}}};
          });
  rpc.add({"insitu.show",
           "Shows another published field from the next update on.",
           {{"field", rpc::param_doc("string", "a name from insitu.status's fields", true)}},
           {{"type", "object"}},
           {"-32602 for a field the simulation does not publish on every rank"}},
          [&st](const json& q) {
            const std::string name = param<std::string>(q, "field");
            if (std::find(st.field_names.begin(), st.field_names.end(), name) == st.field_names.end())
              rpc::bad("'field': no field '" + name + "' is published");
            st.shown = name;
            st.view.dirty = true;
            return json{{"shown", name}};
          });
  rpc.add({"insitu.parameters",
           "The simulation's steering parameters: name, value (as requested), min, max.",
           json::object(),
           {{"type", "object[]"}},
           {}},
          [&st](const json&) {
            json out = json::array();
            for (const Parameter& p : st.parameters)
              out.push_back({{"name", p.name}, {"value", p.value}, {"min", p.min}, {"max", p.max}});
            return out;
          });
  rpc.add({"insitu.set_parameter",
           "Sets a steering parameter; every rank of the simulation sees the value from the next update on.",
           {{"name", rpc::param_doc("string", "the parameter", true)},
            {"value", rpc::param_doc("number", "inside [min, max]", true)}},
           {{"type", "object"}},
           {"-32602 for an unknown parameter or a value outside [min, max]"}},
          [&st](const json& q) {
            const std::string name = param<std::string>(q, "name");
            const double value = param<double>(q, "value");
            const auto p = std::find_if(st.parameters.begin(), st.parameters.end(),
                                        [&](const Parameter& x) { return x.name == name; });
            if (p == st.parameters.end()) rpc::bad("'name': no parameter '" + name + "'");
            if (!std::isfinite(value) || value < p->min || value > p->max)
              rpc::bad("'value': " + name + " must be in [" + json(p->min).dump() + ", " + json(p->max).dump() + "]");
            p->value = value;
            return json{{"name", name}, {"value", value}};
          });
}

void add_snapshot_method(streaming::RpcDispatcher& rpc, const ViewState& view,
                         std::function<std::shared_ptr<const Image>()> last_frame) {
  rpc.add({"snapshot",
           "The last frame served, as PNG, at the canvas's size: returned as base64, or written as a new file "
           "under the output root. (In situ the ranks render only inside update(): set render.set's width and "
           "height for larger frames.)",
           {{"path", rpc::param_doc("string", "write the PNG here (a new .png file inside the output root) instead of "
                                              "returning it")},
            // The viewer's snapshot takes these; in situ they are refused with a reason of their own.
            {"width", rpc::param_doc("integer", "not in situ: the snapshot is the frame as served")},
            {"height", rpc::param_doc("integer", "not in situ: the snapshot is the frame as served")},
            {"background", rpc::param_doc("number[4]", "not in situ: the snapshot is the frame as served")}},
           {{"type", "object"}},
           {"-32602 for width, height or background (not available in situ), no output root, a path outside it "
            "or an existing file",
            "-32000 before the first frame"}},
          [&view, last_frame](const json& q) {
            for (const char* other : {"width", "height", "background"})
              if (q.contains(other))
                rpc::bad(std::string("'") + other +
                         "': in situ a snapshot is the frame as served (render.set changes the next frames)");
            const std::string path = rpc::snapshot_path_param(view, q);
            const std::shared_ptr<const Image> image = last_frame();
            if (!image || image->width() == 0)
              throw streaming::RpcError(streaming::server_error, "no frame has been served yet");
            return rpc::png_reply(*image, path);
          });
}

} // namespace libindex::insitu
