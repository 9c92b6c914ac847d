// SPDX-License-Identifier: Apache-2.0
#pragma once
// What the RPC tests share: a small built-in scene and one call through the real dispatcher.
#include <nlohmann/json.hpp>

#include "libindex/scene_spec.h"
#include "libindex/streaming/rpc_dispatcher.h"

namespace libindex::testing {

/// The built-in supernova scene at 32^3 on a 64x48 canvas: quick to build and to render.
inline SceneSpec small_scene() {
  SceneSpec spec;
  spec.overrides = {{"app::scene::supernova::size", "32"},
                    {"app::scene::supernova::bbox", "0 0 0 32 32 32"},
                    {"index::canvas_resolution", "64 48"}};
  return spec;
}

/// The whole response object of one request.
inline nlohmann::json call(const streaming::RpcDispatcher& rpc, const std::string& method,
                           nlohmann::json params = nlohmann::json::object()) {
  const nlohmann::json request{{"jsonrpc", "2.0"}, {"id", 1}, {"method", method}, {"params", std::move(params)}};
  return nlohmann::json::parse(rpc.handle(request.dump()).value());
}

/// The error code of a response, 0 when it succeeded.
inline int code(const nlohmann::json& response) {
  return response.contains("error") ? response["error"]["code"].get<int>() : 0;
}
inline std::string message(const nlohmann::json& response) {
  return response.contains("error") ? response["error"]["message"].get<std::string>() : "";
}

} // namespace libindex::testing
