// SPDX-License-Identifier: Apache-2.0
// The server over TLS, against a real server on 127.0.0.1 and a client written on libssl alone (not
// libwebsockets): a self-signed certificate made at test time for IP 127.0.0.1, an https:// URL, the
// certificate the client sees is the one given, and the token cookie carries Secure over TLS only.
// Waits are bounded only so a test fails instead of hanging; no time limits are asserted.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "libindex/config.h"
#include "libindex/streaming/server.h"
#include "ws_test_client.h"

namespace libindex::streaming {
namespace {

namespace fs = std::filesystem;

/// A folder under the system temp dir, removed at the end.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("libindex_tls_test_" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string openssl_error() {
  char buf[256] = "no OpenSSL error queued";
  if (const unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

/// Writes a self-signed P-256 certificate for CN and IP 127.0.0.1 (one day) and its key as PEM.
/// Returns "" or what failed.
std::string make_certificate(const fs::path& cert_file, const fs::path& key_file) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) return "EVP_EC_gen: " + openssl_error();
  X509* cert = X509_new();
  std::string failed;
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  if (X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1")) {
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
  } else
    failed = "subjectAltName: " + openssl_error();
  if (failed.empty() && !X509_sign(cert, key, EVP_sha256())) failed = "X509_sign: " + openssl_error();
  if (failed.empty()) {
    FILE* c = std::fopen(cert_file.c_str(), "w");
    FILE* k = std::fopen(key_file.c_str(), "w");
    if (!c || !k || !PEM_write_X509(c, cert) || !PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr))
      failed = "cannot write " + cert_file.string() + " / " + key_file.string();
    if (c) std::fclose(c);
    if (k) std::fclose(k);
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  return failed;
}

struct TlsResponse {
  std::string error; ///< what failed before a response came, or ""
  long verify = -1;  ///< SSL_get_verify_result against the test's certificate as the only CA
  bool same_certificate = false;
  int status = 0;
  std::string head; ///< status line and headers
  std::string body;
};

/// One HTTP/1.1 GET over TLS to 127.0.0.1:port, trusting only `ca_file` and checking the IP.
TlsResponse https_get(int port, const std::string& path, const fs::path& ca_file,
                      const std::vector<std::string>& extra_headers = {}) {
  TlsResponse r;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr); // verify_result is asserted instead of failing here
  SSL* ssl = SSL_new(ctx);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1");
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval timeout{10, 0}; // a hang fails the test within seconds
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    r.error = "connect failed";
  } else {
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      r.error = "TLS handshake failed: " + openssl_error();
    } else {
      r.verify = SSL_get_verify_result(ssl);
      X509* peer = SSL_get1_peer_certificate(ssl);
      FILE* f = std::fopen(ca_file.c_str(), "r");
      X509* mine = f ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr;
      if (f) std::fclose(f);
      r.same_certificate = peer && mine && X509_cmp(peer, mine) == 0;
      X509_free(peer);
      X509_free(mine);
      std::string request =
          "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
      for (const auto& h : extra_headers) request += h + "\r\n";
      request += "\r\n";
      SSL_write(ssl, request.data(), int(request.size()));
      std::string reply;
      char buf[4096];
      for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) {
        reply.append(buf, size_t(n));
        // Connection: close is not always honoured at once: stop when the body is complete.
        const size_t end = reply.find("\r\n\r\n");
        const size_t cl = reply.find("content-length: ") != std::string::npos ? reply.find("content-length: ")
                                                                              : reply.find("Content-Length: ");
        if (end != std::string::npos && cl != std::string::npos && cl < end &&
            reply.size() >= end + 4 + std::stoul(reply.substr(cl + 16)))
          break;
      }
      const size_t end = reply.find("\r\n\r\n");
      r.head = reply.substr(0, end);
      r.body = end == std::string::npos ? "" : reply.substr(end + 4);
      if (reply.rfind("HTTP/1.1 ", 0) == 0) r.status = std::stoi(reply.substr(9, 3));
    }
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return r;
}

/// The value of header `name` (any case) in `head`, or "".
std::string header_value(const std::string& head, std::string name) {
  std::string lower = head;
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
  const size_t at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return "";
  size_t from = at + 3 + name.size();
  while (from < head.size() && head[from] == ' ') ++from;
  return head.substr(from, head.find("\r\n", from) - from);
}

ServerOptions tls_options(const TempDir& dir) {
  ServerOptions o;
  o.port = 0;
  o.bind = "127.0.0.1";
  o.web_root = LIBINDEX_STREAMING_TEST_WWW;
  o.token = "tok123";
  o.tls_cert = (dir.path / "cert.pem").string();
  o.tls_key = (dir.path / "key.pem").string();
  return o;
}

#define SKIP_WITHOUT_TLS()                                                                                             \
  if (!LIBINDEX_WITH_TLS)                                                                                              \
  GTEST_SKIP() << "built with LIBINDEX_WITH_TLS=0 (libwebsockets without TLS): the server cannot speak https"

TEST(Tls, HttpsPageTokenCookieIsSecure) {
  SKIP_WITHOUT_TLS();
  TempDir dir;
  const ServerOptions o = tls_options(dir);
  ASSERT_EQ(make_certificate(o.tls_cert, o.tls_key), "");
  Server server(o);
  server.start();
  EXPECT_EQ(server.url(), "https://127.0.0.1:" + std::to_string(server.port()) + "/");

  // The token is traded for a cookie: HttpOnly, SameSite=Strict and, over TLS, Secure.
  const TlsResponse page = https_get(server.port(), "/?token=tok123", o.tls_cert);
  ASSERT_EQ(page.error, "");
  EXPECT_EQ(page.verify, X509_V_OK) << X509_verify_cert_error_string(page.verify);
  EXPECT_TRUE(page.same_certificate) << "the server must present the certificate it was given";
  EXPECT_EQ(page.status, 302) << page.head;
  EXPECT_EQ(header_value(page.head, "Set-Cookie"), "libindex_token=tok123; Path=/; HttpOnly; SameSite=Strict; Secure");
  EXPECT_EQ(header_value(page.head, "Location"), "/");

  // With the cookie the page is served; without any credential it is refused.
  const TlsResponse with_cookie = https_get(server.port(), "/", o.tls_cert, {"Cookie: libindex_token=tok123"});
  EXPECT_EQ(with_cookie.status, 200) << with_cookie.head;
  EXPECT_NE(with_cookie.body.find("<html"), std::string::npos) << with_cookie.body.substr(0, 200);
  EXPECT_EQ(https_get(server.port(), "/", o.tls_cert).status, 401);
  EXPECT_EQ(https_get(server.port(), "/", o.tls_cert, {"Cookie: libindex_token=tok124"}).status, 401);

  // Plain HTTP on the TLS port never gets the page or the cookie.
  const testing::HttpResponse plain = testing::http_get(server.port(), "/?token=tok123");
  EXPECT_NE(plain.status, 302);
  EXPECT_NE(plain.status, 200);
  EXPECT_EQ(plain.headers.count("set-cookie"), 0u);
}

TEST(Tls, PlainHttpCookieHasNoSecureFlag) {
  // The other side of the same choice: over http:// a Secure cookie would never come back.
  ServerOptions o;
  o.port = 0;
  o.web_root = LIBINDEX_STREAMING_TEST_WWW;
  o.token = "tok123";
  Server server(o);
  server.start();
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/");
  const testing::HttpResponse page = testing::http_get(server.port(), "/?token=tok123");
  EXPECT_EQ(page.status, 302);
  ASSERT_EQ(page.headers.count("set-cookie"), 1u);
  EXPECT_EQ(page.headers.at("set-cookie"), "libindex_token=tok123; Path=/; HttpOnly; SameSite=Strict");
}

TEST(Tls, MissingOrHalfConfigurationIsAClearError) {
  SKIP_WITHOUT_TLS();
  TempDir dir;
  ServerOptions o = tls_options(dir);
  try {
    Server server(o); // no files written yet
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()), "cannot read TLS certificate '" + o.tls_cert + "'");
  }
  o.tls_key.clear();
  try {
    Server server(o);
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_EQ(std::string(e.what()), "server: TLS needs both a certificate and a key");
  }
}

} // namespace
} // namespace libindex::streaming
