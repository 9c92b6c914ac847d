// SPDX-License-Identifier: Apache-2.0
// The HTTP side of the server: who may load the page and open the sockets, and the short status
// replies. Static files themselves are served by lws from the web-root mount.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <string_view>
#include <vector>

#include "auth.h"
#include "server_impl.h"

namespace libindex::streaming {

bool Server::Impl::token_in_url(lws* wsi) const {
  if (options.token.empty()) return false;
  char buf[512];
  const char* value = lws_get_urlarg_by_name(wsi, "token=", buf, int(sizeof(buf)));
  return value && auth::constant_time_equal(value, options.token);
}

bool Server::Impl::wants_notifications(lws* wsi) const {
  char buf[16];
  const char* value = lws_get_urlarg_by_name(wsi, "notify=", buf, int(sizeof(buf)));
  return value && (std::strcmp(value, "1") == 0 || std::strcmp(value, "true") == 0);
}

bool Server::Impl::authenticated(lws* wsi) const {
  if (options.basic_auth.empty() && options.token.empty()) return true;
  if (!options.token.empty()) {
    if (token_in_url(wsi)) return true;
    const auto cookie = auth::cookie_value(header(wsi, WSI_TOKEN_HTTP_COOKIE), auth::kTokenCookie);
    if (cookie && auth::constant_time_equal(*cookie, options.token)) return true;
  }
  if (!options.basic_auth.empty()) {
    const auto credentials = auth::decode_basic(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION));
    if (credentials && auth::constant_time_equal(*credentials, options.basic_auth)) return true;
  }
  return false;
}

bool Server::Impl::origin_allowed(lws* wsi) const {
  return auth::origin_allowed(header(wsi, WSI_TOKEN_ORIGIN), header(wsi, WSI_TOKEN_HOST), tls, options.allowed_origins);
}

bool Server::Impl::too_many_connections() const { return connections.size() > options.max_connections; }

int Server::Impl::send_too_many_connections(lws* wsi) {
  const std::string text =
      "Service Unavailable: too many connections (limit " + std::to_string(options.max_connections) + ")";
  return send_status(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, text.c_str(), {{WSI_TOKEN_HTTP_RETRY_AFTER, "5"}});
}

namespace {

// Percent-encodes all but RFC 3986 unreserved characters and those in `keep`.
std::string url_encode(std::string_view text, std::string_view keep) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || keep.find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return out;
}

// The request's path and query with the token argument left out (lws hands both over decoded).
std::string url_without_token(lws* wsi) {
  std::string url = url_encode(header(wsi, WSI_TOKEN_GET_URI), "/");
  char sep = '?';
  for (int i = 0;; ++i) {
    const int n = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n <= 0) break;
    std::string arg(size_t(n) + 1, '\0');
    if (lws_hdr_copy_fragment(wsi, arg.data(), n + 1, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) break;
    arg.resize(size_t(n));
    if (arg.rfind("token=", 0) == 0) continue;
    const size_t eq = arg.find('=');
    url += sep;
    url += eq == std::string::npos ? url_encode(arg, "")
                                   : url_encode(arg.substr(0, eq), "") + "=" + url_encode(arg.substr(eq + 1), "");
    sep = '&';
  }
  return url;
}

} // namespace

int Server::Impl::send_status(lws* wsi, unsigned code, const char* text, const std::vector<Header>& headers) {
  std::vector<unsigned char> buf(LWS_PRE + 2048);
  unsigned char *start = buf.data() + LWS_PRE, *p = start, *end = buf.data() + buf.size() - 1;
  const std::string body = std::to_string(code) + " " + text + "\n";
  static const char plain[] = "text/plain; charset=utf-8";
  // HTTP/2 streams (prior-knowledge h2c only: TLS offers no h2 and upgrades are decided on HTTP/1.1)
  // would need framed writes; just reset them.
  if (lws_get_network_wsi(wsi) != wsi) return -1;
  if (lws_add_http_header_status(wsi, code, &p, end)) return -1;
  for (const auto& [token, value] : headers)
    if (lws_add_http_header_by_token(wsi, token, reinterpret_cast<const unsigned char*>(value.data()),
                                     int(value.size()), &p, end))
      return -1;
  if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, (const unsigned char*)plain,
                                   int(sizeof(plain) - 1), &p, end) ||
      lws_add_http_header_content_length(wsi, body.size(), &p, end) || lws_finalize_http_header(wsi, &p, end))
    return -1;
  if (size_t(end - p) < body.size()) return -1;
  std::memcpy(p, body.data(), body.size()); // HTTP/1.1 only (no h2), so headers and body go in one write
  p += body.size();
  return lws_write(wsi, start, size_t(p - start), LWS_WRITE_HTTP_HEADERS) < 0 ? -1 : 0;
}

int Server::Impl::send_unauthorized(lws* wsi) {
  std::vector<Header> headers;
  // Ask the browser for a password only when there is one to give; a token-only server just refuses.
  if (!options.basic_auth.empty())
    headers.emplace_back(WSI_TOKEN_HTTP_WWW_AUTHENTICATE, "Basic realm=\"libindex\", charset=\"UTF-8\"");
  return send_status(wsi, HTTP_STATUS_UNAUTHORIZED, "Unauthorized", headers);
}

int Server::Impl::on_filter_http(lws* wsi) {
  if (too_many_connections()) {
    send_too_many_connections(wsi);
    return 1;
  }
  if (token_in_url(wsi)) {
    // Trade the token for a cookie and send the browser back to the same URL without it: the page's
    // scripts, styles and sockets (same origin, no token in their URLs) then get in too, and the
    // token leaves the address bar and history. (lws 4.1 offers no hook to add a header to a file
    // it serves from a mount, hence the redirect.)
    const std::string cookie = std::string(auth::kTokenCookie) + "=" + options.token +
                               "; Path=/; HttpOnly; SameSite=Strict" + (tls ? "; Secure" : "");
    send_status(wsi, HTTP_STATUS_FOUND, "Found",
                {{WSI_TOKEN_HTTP_SET_COOKIE, cookie},
                 {WSI_TOKEN_HTTP_LOCATION, url_without_token(wsi)},
                 {WSI_TOKEN_HTTP_CACHE_CONTROL, "no-store"}});
    return 1; // lws closes the connection once the reply is out
  }
  if (authenticated(wsi)) return 0;
  send_unauthorized(wsi);
  return 1;
}

int Server::Impl::on_confirm_upgrade(lws* wsi, const char* protocol) {
  // An h2c upgrade (curl --http2 on http://) would carry the request into an HTTP/2 stream, where
  // on_filter_http cannot write its HTTP/1.1 replies: decide here, while still on HTTP/1.1.
  if (!protocol || std::strcmp(protocol, "websocket") != 0) return on_filter_http(wsi) ? 1 : 0;
  // Returning > 0 after writing a response rejects the upgrade; lws finishes the transaction.
  // The same checks, in the same order, for both endpoints.
  if (endpoint_of_path(header(wsi, WSI_TOKEN_GET_URI)) == Endpoint::none)
    return send_status(wsi, HTTP_STATUS_NOT_FOUND, "Not Found") ? -1 : 1;
  if (too_many_connections()) return send_too_many_connections(wsi) ? -1 : 1;
  // Origin before credentials: another site's page is refused whatever it sends (a browser adds
  // cookies, and the token can sit in the URL a page opens).
  if (!origin_allowed(wsi)) return send_status(wsi, HTTP_STATUS_FORBIDDEN, "Forbidden origin") ? -1 : 1;
  if (!authenticated(wsi)) return send_unauthorized(wsi) ? -1 : 1;
  return 0;
}

int Server::Impl::on_http_not_found(lws* wsi) {
  if (send_status(wsi, HTTP_STATUS_NOT_FOUND, "Not Found")) return -1;
  return lws_http_transaction_completed(wsi) ? -1 : 0; // keep the connection for the next request
}

} // namespace libindex::streaming
