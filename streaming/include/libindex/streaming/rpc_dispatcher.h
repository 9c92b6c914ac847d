// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file JSON-RPC 2.0 dispatcher: text in, text out, no sockets. The session calls it for each
/// message the server hands over: between frames, and while a frame renders for the messages that
/// call no method marked `waits_for_frame`.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libindex/streaming/rpc_error.h"
#include "libindex/streaming/rpc_params.h"

namespace libindex::streaming {

/// What `rpc.discover` and docs/api.md say about a method.
struct MethodInfo {
  std::string name, summary;
  nlohmann::json params = nlohmann::json::object(); ///< name -> {"type", "description", "required"}
  nlohmann::json result = nlohmann::json::object(); ///< {"type", "description"}
  std::vector<std::string> errors;                  ///< when it fails, in words
  /// The handler renders, or runs something collective: the session runs it between frames, while
  /// the others are answered during a frame too.
  bool waits_for_frame = false;
};

/// Default size limit of one incoming message.
inline constexpr size_t kDefaultMaxMessageBytes = size_t(1) << 20;
/// Default limit of calls in one batch.
inline constexpr size_t kDefaultMaxBatchCalls = 100;
/// Deepest nesting of arrays and objects accepted in a request (parsing and copying JSON recurse).
inline constexpr int kMaxJsonDepth = 128;

/// What one message may cost the session. Over a limit, the message gets one -32600 error and
/// nothing in it runs.
struct RpcLimits {
  size_t max_message_bytes = kDefaultMaxMessageBytes; ///< longest message: "message too large: N bytes > limit L"
  size_t max_batch_calls = kDefaultMaxBatchCalls;     ///< longest batch: "batch of N calls > limit L"
};

class RpcDispatcher {
 public:
  /// Params as sent (object, array, or null when absent); returns the "result" member.
  using Handler = std::function<nlohmann::json(const nlohmann::json& params)>;
  /// Runs one method's handler (`call`) for handle(): the session takes its state's lock here for
  /// the methods that need it, and notes which calls changed the view. Whatever it throws is that
  /// call's error reply, as if the handler had thrown it.
  using Invoke = std::function<nlohmann::json(const MethodInfo& method, const std::function<nlohmann::json()>& call)>;

  explicit RpcDispatcher(size_t max_message_bytes = kDefaultMaxMessageBytes);
  /// Throws libindex::Error when a limit is 0.
  explicit RpcDispatcher(RpcLimits limits);

  /// Registers a method. Throws libindex::Error when the name is empty, taken, or starts with "rpc."
  /// (reserved by JSON-RPC 2.0 for rpc.discover and friends).
  void add(MethodInfo info, Handler handler);

  /// Handles one text message: a request, a notification or a batch. Returns the reply text, or
  /// nullopt when nothing is owed (notifications, batches of notifications). Never throws, whatever
  /// the input or the handlers do: malformed messages, unknown methods, handlers that throw
  /// (anything, not only std::exception) and results that cannot be written all become error
  /// objects. An id must be a string, an integer or null (-32600 with id null otherwise).
  std::optional<std::string> handle(std::string_view text) const noexcept;
  /// The same, running each call of the message through `invoke` (not rpc.discover, which reads
  /// only the dispatcher).
  std::optional<std::string> handle(std::string_view text, const Invoke& invoke) const noexcept;

  /// True when `text` calls a method registered with `waits_for_frame` (itself or in a batch). A
  /// message that handle() would refuse as a whole (too large, too deep, not JSON) calls nothing.
  /// Never throws.
  bool waits_for_frame(std::string_view text) const noexcept;

  /// OpenRPC-style description of every method (also served as the method "rpc.discover").
  nlohmann::json discover() const;

  /// Longest message handle() accepts.
  size_t max_message_bytes() const { return limits_.max_message_bytes; }
  const RpcLimits& limits() const { return limits_; }

 private:
  struct Method {
    MethodInfo info;
    Handler handler;
  };
  /// The response to one request object, or null for a notification.
  nlohmann::json handle_one(const nlohmann::json& request, const Invoke& invoke) const;
  std::optional<std::string> handle_unguarded(std::string_view text, const Invoke& invoke) const;

  RpcLimits limits_;
  std::map<std::string, Method, std::less<>> methods_;
};

/// A complete JSON-RPC error response (id null) as text.
std::string error_reply(int code, const std::string& message);
/// The reply to a message over the size limit: -32600 "message too large: N bytes > limit L".
std::string message_too_large_reply(size_t bytes, size_t limit);
/// The reply to `message`, which the server refuses because its client has too many commands
/// waiting: too_many_pending_requests (-32029) "too many pending requests (limit L)" for each call
/// of it that has an id, with that id (a batch: an array of them); nothing for notifications, as
/// JSON-RPC 2.0 wants; id null only when the message cannot be read. A client that waits for its
/// own id, as IndeX's notebook helper does, gets its answer.
std::optional<std::string> too_many_pending_reply(std::string_view message, size_t limit);

} // namespace libindex::streaming
