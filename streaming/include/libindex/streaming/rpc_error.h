// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The error a JSON-RPC method handler throws, and the JSON-RPC 2.0 error codes.

#include <exception>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace libindex::streaming {

/// JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object).
enum RpcCode : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  /// Any other failure of a method (a libindex::Error, a missing file...): the server keeps serving.
  server_error = -32000,
  /// The server refused the message unread: the client already has Server's max_pending_commands
  /// messages waiting for the session. Sent with id null; the request did not run.
  too_many_pending_requests = -32029, // 429 as in HTTP "Too Many Requests"
};

/// Thrown by a method handler to answer with this exact error object.
struct RpcError : std::exception {
  int code = internal_error;
  std::string message;
  nlohmann::json data; ///< null: no "data" member in the error object

  RpcError(int code_, std::string message_, nlohmann::json data_ = nullptr)
      : code(code_), message(std::move(message_)), data(std::move(data_)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

} // namespace libindex::streaming
