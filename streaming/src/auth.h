// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Credential checks of the server, free of libwebsockets so they can be tested alone.

#include <optional>
#include <string>
#include <string_view>

namespace libindex::streaming::auth {

/// Equality whose running time depends only on the length of `expected`, not on where the strings
/// differ, so a client cannot guess a password byte by byte from response times.
bool constant_time_equal(std::string_view given, std::string_view expected);

/// The "user:password" of an `Authorization: Basic <base64>` header value; nullopt when the header
/// is not Basic or not valid base64.
std::optional<std::string> decode_basic(std::string_view authorization);

/// The value of cookie `name` in a `Cookie:` header value ("a=1; b=2"), or nullopt.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

/// Name of the cookie that carries the token after a page load with ?token=..., so the page's own
/// scripts and sockets authenticate without the token in every URL.
inline constexpr const char* kTokenCookie = "libindex_token";

} // namespace libindex::streaming::auth
