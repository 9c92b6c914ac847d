// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What the RPC areas share: JSON forms of the frame state, param helpers, error shortcuts.

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "libindex/frame.h"
#include "libindex/image.h"
#include "libindex/streaming/rpc_params.h"

namespace libindex {
struct ViewState;
}

namespace libindex::rpc {

nlohmann::json to_json(Vec3f v);
nlohmann::json camera_to_json(const Camera& c);
/// entries (straight RGBA), domain, boundary mode.
nlohmann::json colormap_to_json(const Colormap& m);

/// A 3-vector param: an array of 3 finite numbers.
Vec3f vec3_param(const nlohmann::json& params, const char* name);
/// The scene's volume a request names by id in its `volume` param, as an index into the scene's
/// volumes; 0 (the first) when it names none. Throws -32602 for an id the scene lacks.
size_t volume_param(const ViewState& s, const nlohmann::json& params);
/// volume_param() for a method that needs a volume: also throws -32000 when the scene has none (the
/// request is well formed; the server's state cannot serve it).
size_t shown_volume_param(const ViewState& s, const nlohmann::json& params);
/// Throws the -32602 invalid-params error with `message`.
[[noreturn]] void bad(const std::string& message);
/// A param's entry in the method's description (rpc.discover, docs/api.md).
nlohmann::json param_doc(const char* type, const char* description, bool required = false);

std::string base64(const std::vector<uint8_t>& bytes);
/// Creates `path` and writes `bytes`: never over an existing file, never through a symbolic link.
void write_new_file(const std::string& path, const std::vector<uint8_t>& bytes);
/// A snapshot's `path` param: a new .png file under the view's output root, "" when not given;
/// -32602 when it cannot be one.
std::string snapshot_path_param(const ViewState& s, const nlohmann::json& params);
/// A snapshot's reply: {width, height} and `image` as PNG, written to `path` (a new file) or, when
/// path is "", returned as png_base64.
nlohmann::json png_reply(const Image& image, const std::string& path);

/// The key holding a group's children ("scene_root" and "root" name the scene's root).
std::string children_key(const std::string& parent);
/// The children of group `parent`; -32602 when it is no group of the scene.
std::vector<std::string> children_of(const ViewState& s, const std::string& parent);
/// Words joined by single spaces, as a children list is written.
std::string join(const std::vector<std::string>& words);

/// Applies a scene edit (key = value assignments) as a new layer of the scene spec, validated before
/// anything changes (-32000 with the scene's error otherwise; -32602 when it would leave a volume over
/// the samples-per-ray limit); keeps the user's camera.
void edit_scene(ViewState& s, std::vector<std::pair<std::string, std::string>> assignments, const std::string& name);
/// Runs `change` (a client's edit or load of the scene, which throws with the state unchanged) and
/// keeps it only when the view it leaves is within the limits (ViewState::check_samples_per_ray,
/// ViewState::check_memory):
/// otherwise the state is as it was before, and the client gets -32602 saying why.
void change_scene_within_limits(ViewState& s, const std::function<void()>& change);

} // namespace libindex::rpc
