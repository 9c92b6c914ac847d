// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file JSON forms of the frame state: what the head broadcasts to every rank at a frame boundary
/// and what the JSON-RPC API returns.
#include <nlohmann/json.hpp>

#include "libindex/frame.h"

namespace libindex::viewer {

nlohmann::json to_json(Vec3f v);
nlohmann::json camera_to_json(const Camera& c);
nlohmann::json colormap_to_json(const Colormap& m);
nlohmann::json settings_to_json(const RenderSettings& s);
nlohmann::json frame_to_json(const FrameParams& f);
FrameParams frame_from_json(const nlohmann::json& j);

} // namespace libindex::viewer
