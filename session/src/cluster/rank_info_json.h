// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file RankInfo as JSON, as a job's head reports its ranks to the session's head.

#include <nlohmann/json.hpp>

#include "libindex/session.h"

namespace libindex::cluster {

inline nlohmann::json box_to_json(const Box3i& b) { return {b.lo.x, b.lo.y, b.lo.z, b.hi.x, b.hi.y, b.hi.z}; }
inline Box3i box_from_json(const nlohmann::json& j) {
  return {{j.at(0).get<int>(), j.at(1).get<int>(), j.at(2).get<int>()},
          {j.at(3).get<int>(), j.at(4).get<int>(), j.at(5).get<int>()}};
}

inline nlohmann::json to_json(const std::vector<RankInfo>& ranks) {
  nlohmann::json out = nlohmann::json::array();
  for (const RankInfo& r : ranks)
    out.push_back({{"rank", r.rank},
                   {"host", r.host},
                   {"leaf", box_to_json(r.leaf)},
                   {"stored", box_to_json(r.stored)},
                   {"resident_bytes", r.resident_bytes},
                   {"backend", r.backend}});
  return out;
}

/// Throws nlohmann::json::exception for a malformed list.
inline std::vector<RankInfo> rank_info_from_json(const nlohmann::json& j, const std::string& job) {
  std::vector<RankInfo> out;
  for (const nlohmann::json& r : j) {
    RankInfo info;
    info.job = job;
    info.rank = r.at("rank").get<int>();
    info.host = r.at("host").get<std::string>();
    info.leaf = box_from_json(r.at("leaf"));
    info.stored = box_from_json(r.at("stored"));
    info.resident_bytes = r.at("resident_bytes").get<long long>();
    info.backend = r.at("backend").get<std::string>();
    out.push_back(info);
  }
  return out;
}

} // namespace libindex::cluster
