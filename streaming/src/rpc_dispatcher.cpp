// SPDX-License-Identifier: Apache-2.0
#include "libindex/streaming/rpc_dispatcher.h"

#include <exception>
#include <new>
#include <utility>

#include "libindex/config.h"
#include "libindex/error.h"

namespace libindex::streaming {
namespace {

using json = nlohmann::json;

json error_object(int code, std::string message, json data = nullptr) {
  json e = {{"code", code}, {"message", std::move(message)}};
  if (!data.is_null()) e["data"] = std::move(data);
  return e;
}

json error_response(json id, int code, std::string message, json data = nullptr) {
  return {
      {"jsonrpc", "2.0"}, {"error", error_object(code, std::move(message), std::move(data))}, {"id", std::move(id)}};
}

// Handlers may return strings that are not valid UTF-8 (file names, messages from libraries): replace
// the bad bytes instead of letting dump() throw, so a reply is always sent.
std::string to_text(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Deepest array/object nesting in `text`, scanning at most until `limit` is passed. Done before parsing
// because nlohmann::json copies and destroys values recursively: a message of a million '[' would
// overflow the session thread's stack somewhere after parsing.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > limit) break;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// nlohmann's parser takes a NUL byte for the end of its input, so `{...}\0junk` would parse as its
// valid prefix and run. A raw NUL is never valid JSON (RFC 8259: not whitespace, and a string must
// escape it as \u0000), so a message holding one is a parse error.
size_t nul_offset(std::string_view text) { return text.find('\0'); }

// JSON-RPC 2.0 allows a string, a number or null and discourages fractions. We take strings, integers
// and null: a fraction or an exponent would come back as a different number (1e400 does not even fit
// a double), so the client could not match the reply to its request.
bool valid_id(const json& id) { return id.is_string() || id.is_number_integer() || id.is_null(); }

} // namespace

std::string error_reply(int code, const std::string& message) {
  return to_text(error_response(nullptr, code, message));
}

std::string message_too_large_reply(size_t bytes, size_t limit) {
  return error_reply(invalid_request,
                     "message too large: " + std::to_string(bytes) + " bytes > limit " + std::to_string(limit));
}

std::optional<std::string> too_many_pending_reply(std::string_view message, size_t limit) {
  const std::string text = "too many pending requests (limit " + std::to_string(limit) + ")";
  const json parsed = nesting_depth(message, kMaxJsonDepth) > kMaxJsonDepth || nul_offset(message) != message.npos
                          ? json(json::value_t::discarded)
                          : json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return error_reply(too_many_pending_requests, text);
  // The id of one call; nullopt for a notification (no reply), null for what has no valid id.
  const auto id_of = [](const json& call) -> std::optional<json> {
    if (!call.is_object()) return json(nullptr);
    const auto id = call.find("id");
    if (id == call.end()) return std::nullopt;
    return valid_id(*id) ? *id : json(nullptr);
  };
  if (!parsed.is_array() || parsed.empty()) {
    const auto id = id_of(parsed);
    if (!id) return std::nullopt;
    return to_text(error_response(*id, too_many_pending_requests, text));
  }
  json replies = json::array();
  for (const json& call : parsed)
    if (const auto id = id_of(call)) replies.push_back(error_response(*id, too_many_pending_requests, text));
  if (replies.empty()) return std::nullopt;
  return to_text(replies);
}

RpcDispatcher::RpcDispatcher(size_t max_message_bytes) : RpcDispatcher(RpcLimits{max_message_bytes}) {}

RpcDispatcher::RpcDispatcher(RpcLimits limits) : limits_(limits) {
  require(limits_.max_message_bytes > 0, "rpc: max_message_bytes must be positive");
  require(limits_.max_batch_calls > 0, "rpc: max_batch_calls must be positive");
}

void RpcDispatcher::add(MethodInfo info, Handler handler) {
  require(!info.name.empty(), "rpc: a method needs a name");
  require(info.name.rfind("rpc.", 0) != 0, "rpc: method name '" + info.name + "' is reserved (\"rpc.\" prefix)");
  require(handler != nullptr, "rpc: method '" + info.name + "' has no handler");
  std::string name = info.name;
  const bool inserted = methods_.emplace(name, Method{std::move(info), std::move(handler)}).second;
  require(inserted, "rpc: method '" + name + "' is already registered");
}

std::optional<std::string> RpcDispatcher::handle(std::string_view text) const noexcept { return handle(text, {}); }

std::optional<std::string> RpcDispatcher::handle(std::string_view text, const Invoke& invoke) const noexcept {
  // handle_one() answers for each handler; this is for the rest: the parser, building and writing
  // the reply (std::bad_alloc), a bug of ours. Nothing a client sends may end the process.
  try {
    return handle_unguarded(text, invoke);
  } catch (...) {}
  try {
    return error_reply(internal_error, "Internal error");
  } catch (...) {
    return std::nullopt; // not even that much memory: the client gets nothing, the server goes on
  }
}

bool RpcDispatcher::waits_for_frame(std::string_view text) const noexcept {
  try {
    if (text.size() > limits_.max_message_bytes || nesting_depth(text, kMaxJsonDepth) > kMaxJsonDepth ||
        nul_offset(text) != text.npos)
      return false;
    const json message = json::parse(text, nullptr, false);
    const auto waits = [this](const json& request) {
      if (!request.is_object()) return false;
      const auto method = request.find("method");
      if (method == request.end() || !method->is_string()) return false;
      const auto m = methods_.find(method->get_ref<const std::string&>());
      return m != methods_.end() && m->second.info.waits_for_frame;
    };
    if (!message.is_array()) return waits(message);
    for (const json& request : message)
      if (waits(request)) return true;
    return false;
  } catch (...) {
    return false; // out of memory while parsing: handle() answers it
  }
}

std::optional<std::string> RpcDispatcher::handle_unguarded(std::string_view text, const Invoke& invoke) const {
  if (text.size() > limits_.max_message_bytes) return message_too_large_reply(text.size(), limits_.max_message_bytes);
  if (nesting_depth(text, kMaxJsonDepth) > kMaxJsonDepth)
    return error_reply(invalid_request, "message nested too deeply: more than " + std::to_string(kMaxJsonDepth) +
                                            " levels of arrays and objects");
  if (const size_t nul = nul_offset(text); nul != text.npos)
    return to_text(error_response(nullptr, parse_error, "Parse error", "a NUL byte at offset " + std::to_string(nul)));
  json message;
  try {
    message = json::parse(text);
  } catch (const json::parse_error& e) {
    return to_text(error_response(nullptr, parse_error, "Parse error", e.what()));
  } catch (const json::out_of_range& e) {
    // Valid JSON that a double cannot hold (1e400): which member it was is unknown, so id null.
    return to_text(error_response(nullptr, invalid_request, "Invalid Request: number out of range", e.what()));
  } catch (const json::exception& e) {
    return to_text(error_response(nullptr, parse_error, "Parse error", e.what()));
  }

  if (!message.is_array()) {
    json response = handle_one(message, invoke);
    if (response.is_null()) return std::nullopt;
    return to_text(response);
  }
  if (message.empty()) return to_text(error_response(nullptr, invalid_request, "Invalid Request: empty batch"));
  if (message.size() > limits_.max_batch_calls)
    return error_reply(invalid_request, "batch of " + std::to_string(message.size()) + " calls > limit " +
                                            std::to_string(limits_.max_batch_calls));
  json responses = json::array();
  for (const json& request : message) {
    json response = handle_one(request, invoke);
    if (!response.is_null()) responses.push_back(std::move(response));
  }
  if (responses.empty()) return std::nullopt; // a batch of notifications
  return to_text(responses);
}

namespace {

/// A parameter the method does not take is a client's typo ({"azimth": 30} moved nothing and
/// said nothing): -32602 naming it and what the method takes. IndeX's own methods (nv::index::...)
/// stay as lenient as IndeX, whose clients may send arguments libindex has no use for.
void check_parameter_names(const MethodInfo& info, const json& params) {
  if (!info.params.is_object() || info.name.rfind("nv::index::", 0) == 0) return;
  // Parameters go by name: an array was read as no parameters at all, so [30] rotated nothing.
  if (params.is_array() && !params.empty())
    throw RpcError(invalid_params,
                   "invalid params: " + info.name + " takes its parameters by name (an object), not " + "an array");
  if (!params.is_object()) return;
  for (auto it = params.begin(); it != params.end(); ++it) {
    if (info.params.contains(it.key())) continue;
    std::string takes;
    for (auto p = info.params.begin(); p != info.params.end(); ++p) takes += (takes.empty() ? "" : ", ") + p.key();
    throw RpcError(invalid_params, "invalid params: '" + it.key() + "' is no parameter of " + info.name +
                                       (takes.empty() ? " (it takes none)" : " (it takes " + takes + ")"));
  }
}

} // namespace

json RpcDispatcher::handle_one(const json& request, const Invoke& invoke) const {
  if (!request.is_object())
    return error_response(nullptr, invalid_request,
                          "Invalid Request: expected an object, got " + std::string(request.type_name()));
  const auto id_it = request.find("id");
  const bool notification = id_it == request.end();
  if (!notification && !valid_id(*id_it))
    return error_response(nullptr, invalid_request, "Invalid Request: 'id' must be a string, an integer or null");
  json id = notification ? json(nullptr) : *id_it;

  const auto version = request.find("jsonrpc");
  if (version == request.end() || *version != "2.0")
    return error_response(id, invalid_request, "Invalid Request: 'jsonrpc' must be \"2.0\"");
  const auto method_it = request.find("method");
  if (method_it == request.end() || !method_it->is_string())
    return error_response(id, invalid_request, "Invalid Request: 'method' must be a string");
  const auto params_it = request.find("params");
  if (params_it != request.end() && !params_it->is_object() && !params_it->is_array())
    return error_response(id, invalid_request, "Invalid Request: 'params' must be an object or an array");
  static const json no_params; // null: handlers see "no params" the same whether absent or omitted
  const json& params = params_it == request.end() ? no_params : *params_it;

  // From here on, errors of a notification are not reported (JSON-RPC 2.0, section 4.1).
  const std::string& name = method_it->get_ref<const std::string&>();
  json reply;
  try {
    json result;
    if (name == "rpc.discover") {
      check_parameter_names({"rpc.discover", "", json::object(), {}, {}}, params);
      result = discover();
    } else {
      const auto m = methods_.find(name);
      if (m == methods_.end()) throw RpcError(method_not_found, "Method not found: '" + name + "'");
      const Method& method = m->second;
      check_parameter_names(method.info, params);
      result = invoke ? invoke(method.info, [&] { return method.handler(params); }) : method.handler(params);
    }
    reply = {{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", id}};
  } catch (const RpcError& e) {
    reply = error_response(id, e.code, e.message, e.data);
  } catch (const std::bad_alloc&) {
    reply = error_response(id, internal_error, "Internal error: out of memory");
  } catch (const std::exception& e) {
    // libindex::Error and anything else a method throws: the message is the what(), the server goes on.
    reply = error_response(id, server_error, e.what());
  } catch (...) {
    reply = error_response(id, internal_error, "Internal error");
  }
  return notification ? json(nullptr) : reply;
}

json RpcDispatcher::discover() const {
  json methods = json::array();
  auto describe = [&](const MethodInfo& info) {
    json params = json::array();
    if (info.params.is_object()) {
      for (const auto& [pname, p] : info.params.items()) {
        json d = {{"name", pname}, {"required", p.is_object() && p.value("required", false)}};
        if (p.is_object() && p.contains("description")) d["description"] = p["description"];
        if (p.is_object() && p.contains("type")) d["schema"] = {{"type", p["type"]}};
        params.push_back(std::move(d));
      }
    }
    json m = {{"name", info.name},
              {"summary", info.summary},
              {"params", std::move(params)},
              {"result", {{"name", "result"}, {"schema", info.result}}},
              {"errors", info.errors}};
    if (info.waits_for_frame) m["x-waits-for-frame"] = true;
    methods.push_back(std::move(m));
  };
  describe({"rpc.discover",
            "This document: every method with its params, result and errors.",
            json::object(),
            {{"type", "object"}, {"description", "OpenRPC-style service description"}},
            {}});
  for (const auto& [name, method] : methods_) describe(method.info);
  return {{"openrpc", "1.2.6"},
          {"info", {{"title", "libindex JSON-RPC API"}, {"version", LIBINDEX_VERSION}}},
          {"methods", std::move(methods)}};
}

} // namespace libindex::streaming
