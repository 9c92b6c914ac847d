// SPDX-License-Identifier: Apache-2.0
// session.stats, cluster.status, cluster.rebalance, and IndeX's perflab performance values.
#include <algorithm>

#include "libindex/error.h"
#include "libindex/rank_memory.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param_or;

namespace {

json box_json(const Box3i& b) { return json::array({b.lo.x, b.lo.y, b.lo.z, b.hi.x, b.hi.y, b.hi.z}); }

json stats_json(const Head& head, const ServingStats& serving) {
  const FrameStats& st = head.last_stats();
  json j{{"fps", head.frames_per_second()},
         {"render_ms", st.render_ms},
         {"composite_ms", st.composite_ms},
         {"samples", st.samples},
         {"ranks", head.ranks()},
         {"contributing_leaves", st.contributing_leaves},
         {"compositing", compositing::to_string(st.strategy)},
         {"backend", head.backend_name()},
         {"ops", head.ops_sent()}};
  if (serving) j.update(serving());
  return j;
}

/// cluster.detach keeps the jobs whose ranks the scene needs: without them its volumes could not fit
/// on the rest, and every frame would fail, or the OOM killer would end a rank and the session.
void check_memory_without(const Head& head, const std::string& id) {
  const std::vector<JobInfo> jobs = head.jobs(); // the session's own job first: it cannot leave
  const auto job =
      std::find_if(jobs.begin() + (jobs.empty() ? 0 : 1), jobs.end(), [&](const JobInfo& j) { return j.id == id; });
  if (job == jobs.end()) return; // not attached: detach() says so
  std::lock_guard lock(head.state_mutex());
  const ViewState& s = head.state();
  try {
    check_scene_memory(s.view, s.ranks - job->ranks, s.limits.memory_per_rank);
  } catch (const Error& e) {
    bad("'job': without job '" + id + "' " + e.what());
  }
}

} // namespace

void add_cluster_methods(streaming::RpcDispatcher& rpc, Head& head, ServingStats serving) {
  rpc.add({"session.stats",
           "Frame statistics: fps, render/composite/encode ms, samples, ranks, backend, clients, frames published "
           "and whether one is in progress.",
           json::object(),
           {{"type", "object"}},
           {}},
          [&head, serving](const json&) { return stats_json(head, serving); });
  rpc.add({"cluster.status",
           "Every rank: host, k-d leaf, stored box (leaf + ghosts), resident bytes, backend, and its job; and the "
           "jobs of the session (its own first, then those attached with index-slurm -a): id, ranks, hosts, part. "
           "A session started with --no-session-record takes no jobs and lists none.",
           json::object(),
           {{"type", "object"}},
           {},
           /*waits_for_frame=*/true},
          [&head](const json&) {
            json ranks = json::array();
            for (const RankInfo& r : head.rank_info()) {
              json rank = {{"rank", r.rank},
                           {"host", r.host},
                           {"leaf", box_json(r.leaf)},
                           {"stored", box_json(r.stored)},
                           {"resident_bytes", r.resident_bytes},
                           {"backend", r.backend}};
              if (!r.job.empty()) rank["job"] = r.job;
              ranks.push_back(std::move(rank));
            }
            json jobs = json::array();
            for (const JobInfo& j : head.jobs())
              jobs.push_back({{"id", j.id}, {"ranks", j.ranks}, {"hosts", j.hosts}, {"part", box_json(j.part)}});
            return json{{"ranks", ranks}, {"jobs", jobs}};
          });
  rpc.add({"cluster.detach",
           "Lets an attached job go: its ranks leave, and the next frame re-partitions the volume over the rest.",
           json{{"job", rpc::param_doc("string", "the job's id, as cluster.status lists it", true)}},
           {{"type", "object"}, {"description", "{detached: job id}"}},
           {"-32602 for a job that is not attached (the session's own job cannot be detached), or one whose ranks the "
            "scene needs (the others could not hold it)"},
           /*waits_for_frame=*/true},
          [&head](const json& params) {
            const std::string id = streaming::param<std::string>(params, "job");
            check_memory_without(head, id);
            if (!head.detach(id))
              throw streaming::RpcError(streaming::invalid_params,
                                        "invalid params: 'job': no attached job '" + id + "'");
            std::lock_guard lock(head.state_mutex());
            head.state().dirty = true;
            return json{{"detached", id}};
          });
  rpc.add({"cluster.rebalance",
           "Re-partitions the volume by visible work (voxels the current colormap shows) instead of voxel count; "
           "moves leaves only when the busiest rank gains over 10 %. The image does not change.",
           json::object(),
           {{"type", "object"}, {"description", "{changed: bool, leaves: [[6 ints], ...]}"}},
           {},
           /*waits_for_frame=*/true},
          [&head](const json&) {
            const bool changed = head.rebalance();
            json leaves = json::array();
            for (const RankInfo& r : head.rank_info()) leaves.push_back(box_json(r.leaf));
            return json{{"changed", changed}, {"leaves", leaves}};
          });
  rpc.add({"nv::index::app::perflab.get_performance_value",
           "IndeX: performance values of the last frames of the current scene (frames_per_second restarts "
           "when a scene loads, so a notebook that waits for it after adding a volume sees the new scene's). From "
           "a scene change until the new scene's first frame every value is 0: no frame of it rendered yet.",
           {{"query_performance_key_list", param_doc("boolean", "true: list the keys")},
            {"query_performance_value", param_doc("string[]", "keys: nb_subcubes_rendered, frames_per_second, ...")}},
           {{"type", "object"}},
           {"-32602 for an unknown key"}},
          [&head, serving](const json& q) {
            const json stats = stats_json(head, serving);
            // The reply to a scene change comes before its frame: until that frame, the values of
            // the replaced scene would tell a notebook waiting for its volume that it rendered.
            const bool current = head.stats_show_current_scene();
            const auto of_scene = [&](const char* key) { return current ? stats[key] : json(0); };
            const json values{{"nb_subcubes_rendered", of_scene("contributing_leaves")},
                              {"frames_per_second", of_scene("fps")},
                              {"time_total_rendering", of_scene("render_ms")},
                              {"time_total_compositing", of_scene("composite_ms")},
                              {"nb_horizontal_spans", stats["ranks"]}};
            if (param_or<bool>(q, "query_performance_key_list", false)) {
              json keys = json::array();
              for (auto it = values.begin(); it != values.end(); ++it) keys.push_back(it.key());
              return json{{"performance_key_list", keys}};
            }
            json out = json::object();
            for (const std::string& key : param_or<std::vector<std::string>>(q, "query_performance_value", {})) {
              if (!values.contains(key)) bad("'query_performance_value': unknown key '" + key + "'");
              out[key] = values[key];
            }
            return json{{"performance_value", out}};
          });
}

void add_all_methods(streaming::RpcDispatcher& rpc, Head& head, ServingStats serving) {
  ViewState& s = head.state();
  add_camera_methods(rpc, s);
  add_colormap_methods(rpc, s);
  add_render_methods(rpc, s);
  add_time_methods(rpc, s);
  add_scene_methods(rpc, head);
  add_movie_methods(rpc, head);
  add_cluster_methods(rpc, head, std::move(serving));
  add_index_scene_methods(rpc, s);
  add_program_methods(rpc, s);
}

} // namespace libindex::rpc
