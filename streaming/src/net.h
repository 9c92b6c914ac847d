// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Socket-level helpers of the server: what to tell the user about the address.

#include <string>

namespace libindex::streaming::net {

/// True for the "every interface" binds: "", "0.0.0.0", "::".
bool is_wildcard(const std::string& bind);
/// True for the loopback binds: 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) and "localhost". The
/// wildcards are not.
bool is_loopback(const std::string& bind);
/// True when `bind` is an IPv4 address ("0.0.0.0" included).
bool is_ipv4(const std::string& bind);

/// Why listening on bind:port fails, in a few words ("Address already in use"), found by trying it
/// with a plain socket after libwebsockets refused.
std::string why_listen_fails(const std::string& bind, int port);

/// A host name for URLs: `bind` itself, or for a wildcard bind the first non-loopback IPv4 address
/// of an interface that is up (the host name when there is none). IPv6 literals come in brackets.
std::string usable_host(const std::string& bind);

} // namespace libindex::streaming::net
