// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Credential checks of the server, free of libwebsockets so they can be tested alone.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace libindex::streaming::auth {

/// Equality whose running time depends only on the length of `expected`, not on where the strings
/// differ, so a client cannot guess a password byte by byte from response times.
bool constant_time_equal(std::string_view given, std::string_view expected);

/// The "user:password" of an `Authorization: Basic <base64>` header value (RFC 7617), read strictly:
/// nullopt unless the scheme is Basic (any case), then spaces, then canonical padded base64 and
/// nothing but spaces after it, decoding to text with a ':' and no control characters (NUL included).
std::optional<std::string> decode_basic(std::string_view authorization);

/// True for what ServerOptions::allowed_origins may hold: "*", "null", or "http(s)://host[:port]".
bool valid_origin_pattern(std::string_view pattern);

/// The origin policy of the sockets (see ServerOptions::allowed_origins). `origin` and `host` are the
/// request's Origin and Host header values ("" when absent); `tls`: the server speaks https/wss.
/// Allowed: no Origin; an Origin equal to the request's own ("http(s)://" + Host, default ports and
/// case aside); an Origin in `allowed` (same comparison); anything when `allowed` holds "*".
bool origin_allowed(std::string_view origin, std::string_view host, bool tls, const std::vector<std::string>& allowed);

/// The value of cookie `name` in a `Cookie:` header value ("a=1; b=2"), or nullopt.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

/// Name of the cookie that carries the token after a page load with ?token=..., so the page's own
/// scripts and sockets authenticate without the token in every URL.
inline constexpr const char* kTokenCookie = "libindex_token";

} // namespace libindex::streaming::auth
