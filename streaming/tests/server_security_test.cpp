// SPDX-License-Identifier: Apache-2.0
// Who may use the server, and how much: bind default, credentials and origins on both sockets, and
// the limits, against a real server on 127.0.0.1 with real clients (ws_test_client). Waits are
// bounded only so a test fails instead of hanging; no time limits are asserted.
#include "libindex/streaming/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "libindex/error.h"
#include "net.h"
#include "server_test_support.h"
#include "ws_test_client.h"

namespace libindex::streaming {
namespace {

using namespace std::chrono_literals;
using testing::basic_auth_header;
using testing::http_get;
using testing::WsClient;
using json = nlohmann::json;

using testing::eventually;
using testing::kWait;
using testing::local_options;
using testing::SessionPump;

const std::vector<std::string> kSockets = {"/index_command_client", "/index_video_client"};

// The status and one-line body of a refused upgrade ("403 Forbidden origin").
std::string refusal(const WsClient& c) {
  std::string body = c.handshake().body;
  if (!body.empty() && body.back() == '\n') body.pop_back();
  return std::to_string(c.handshake().status) + " | " + body;
}

std::string origin_of(const Server& server) { return "Origin: http://127.0.0.1:" + std::to_string(server.port()); }

// --- secure bind default ---------------------------------------------------------------------

TEST(SecureBind, LoopbackAddresses) {
  for (const char* a : {"127.0.0.1", "127.1.2.3", "::1", "localhost", "LocalHost", "::ffff:127.0.0.1"})
    EXPECT_TRUE(net::is_loopback(a)) << a;
  for (const char* a : {"", "0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "::2", "example.org", "::ffff:10.0.0.1"})
    EXPECT_FALSE(net::is_loopback(a)) << a;
}

TEST(SecureBind, NetworkBindWithoutCredentialsIsRefused) {
  for (const char* bind : {"0.0.0.0", "", "::"}) {
    ServerOptions o = local_options();
    o.bind = bind;
    const std::string shown = *bind ? bind : "0.0.0.0";
    try {
      Server server(o);
      FAIL() << "served '" << bind << "' without credentials";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                "refusing to serve " + shown + " without --auth or --token; pass --insecure to do it anyway");
    }
  }
}

TEST(SecureBind, NetworkBindWithCredentialsServes) {
  ServerOptions o = local_options();
  o.bind = "0.0.0.0";
  o.token = "tok123";
  Server server(o);
  server.start();
  EXPECT_EQ(http_get(server.port(), "/").status, 401);
  EXPECT_EQ(http_get(server.port(), "/", {"Cookie: libindex_token=tok123"}).status, 200);
  o.token.clear();
  o.basic_auth = "viewer:s3cret";
  Server with_password(o);
  with_password.start();
  EXPECT_EQ(http_get(with_password.port(), "/", {basic_auth_header("viewer:s3cret")}).status, 200);
}

TEST(SecureBind, InsecureServesWithOneWarningLine) {
  ServerOptions o = local_options();
  o.bind = "0.0.0.0";
  o.insecure = true;
  ::testing::internal::CaptureStderr();
  std::unique_ptr<Server> server;
  try {
    server = std::make_unique<Server>(o);
  } catch (...) {
    ::testing::internal::GetCapturedStderr();
    throw;
  }
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "[viewer] warning: serving 0.0.0.0:" + std::to_string(server->port()) +
                     " without --auth or --token (--insecure): whoever reaches it drives the viewer\n");
  server->start();
  EXPECT_EQ(http_get(server->port(), "/").status, 200);

  // A loopback bind needs no --insecure and says nothing.
  ServerOptions local = local_options();
  ::testing::internal::CaptureStderr();
  Server quiet(local);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// --- option checks ---------------------------------------------------------------------------

TEST(ServerOptionChecks, BasicAuthNeedsBothParts) {
  for (const char* bad : {"viewer", ":s3cret", "viewer:", ":"}) {
    ServerOptions o = local_options();
    o.basic_auth = bad;
    try {
      Server server(o);
      FAIL() << "accepted --auth '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "--auth needs user:password with both parts non-empty") << bad;
    }
  }
  try {
    check_basic_auth(""); // what an app calls for `--auth ""`
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--auth needs user:password with both parts non-empty");
  }
  EXPECT_NO_THROW(check_basic_auth("a:b:c"));
}

TEST(ServerOptionChecks, TokenOriginsAndLimits) {
  ServerOptions o = local_options();
  o.token = "a b";
  try {
    Server server(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "--token may hold only letters, digits and -._~");
  }
  o = local_options();
  o.allowed_origins = {"good.example"};
  try {
    Server server(o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "--allow-origin 'good.example' is not an origin: give http(s)://host[:port], null or *");
  }
  o = local_options();
  o.max_connections = 0;
  EXPECT_THROW(Server{o}, Error);
  o = local_options();
  o.max_pending_commands = 0;
  EXPECT_THROW(Server{o}, Error);
  for (int seconds : {0, 65536}) { // libwebsockets keeps it in 16 bits: 65536 would ping at once
    o = local_options();
    o.ping_seconds = seconds;
    EXPECT_THROW(Server{o}, Error) << seconds;
  }
}

TEST(ServerOptionChecks, Defaults) {
  const ServerOptions o;
  EXPECT_EQ(o.bind, "127.0.0.1");
  EXPECT_EQ(o.ping_seconds, 30);
  EXPECT_FALSE(o.insecure);
  EXPECT_TRUE(o.allowed_origins.empty());
  EXPECT_EQ(o.max_message_bytes, size_t(1) << 20);
  EXPECT_EQ(o.max_pending_commands, 64u);
  EXPECT_EQ(o.max_connections, 256u);
}

// --- origins, on both sockets ----------------------------------------------------------------

TEST(Origins, ForeignOriginRefusedOnBothSockets) {
  Server server(local_options());
  server.start();
  for (const std::string& path : kSockets) {
    for (const char* foreign :
         {"Origin: http://evil.example", "Origin: http://localhost:1", "Origin: null", "Origin: https://127.0.0.1"}) {
      WsClient c(server.port(), path, {foreign});
      EXPECT_FALSE(c.open()) << path << " " << foreign;
      EXPECT_EQ(refusal(c), "403 | 403 Forbidden origin") << path << " " << foreign;
    }
    // The page's own port, other scheme or port: still another origin.
    WsClient tls(server.port(), path, {"Origin: https://127.0.0.1:" + std::to_string(server.port())});
    EXPECT_EQ(refusal(tls), "403 | 403 Forbidden origin") << path;
    WsClient port(server.port(), path, {"Origin: http://127.0.0.1:" + std::to_string(server.port() + 1)});
    EXPECT_EQ(refusal(port), "403 | 403 Forbidden origin") << path;
  }
}

TEST(Origins, SameOriginAndNoOriginAcceptedOnBothSockets) {
  Server server(local_options());
  server.start();
  for (const std::string& path : kSockets) {
    WsClient same(server.port(), path, {origin_of(server)});
    EXPECT_TRUE(same.open()) << path << ": " << refusal(same);
    WsClient none(server.port(), path);
    EXPECT_TRUE(none.open()) << path << ": " << refusal(none);
  }
}

TEST(Origins, ListedOriginAndStarAcceptedOnBothSockets) {
  ServerOptions o = local_options();
  o.allowed_origins = {"https://portal.example.org"};
  Server listed(o);
  listed.start();
  o.allowed_origins = {"*"};
  Server star(o);
  star.start();
  for (const std::string& path : kSockets) {
    WsClient portal(listed.port(), path, {"Origin: https://portal.example.org"});
    EXPECT_TRUE(portal.open()) << path << ": " << refusal(portal);
    WsClient own(listed.port(), path, {origin_of(listed)}); // the page's own origin stays allowed
    EXPECT_TRUE(own.open()) << path << ": " << refusal(own);
    WsClient other(listed.port(), path, {"Origin: https://evil.example"});
    EXPECT_EQ(refusal(other), "403 | 403 Forbidden origin") << path;

    WsClient any(star.port(), path, {"Origin: https://evil.example"});
    EXPECT_TRUE(any.open()) << path << ": " << refusal(any);
  }
}

// --- credentials, on both sockets ------------------------------------------------------------

// The cookie a browser keeps after opening the page with ?token=..., as a request header.
std::string cookie_from_page(int port, const std::string& token) {
  const auto page = http_get(port, "/?token=" + token);
  EXPECT_EQ(page.status, 302);
  const auto it = page.headers.find("set-cookie");
  if (it == page.headers.end()) return "Cookie: none";
  return "Cookie: " + it->second.substr(0, it->second.find(';'));
}

struct Credentials : ::testing::TestWithParam<std::string> {
  static ServerOptions with(std::string password, std::string token) {
    ServerOptions o = local_options();
    o.basic_auth = std::move(password);
    o.token = std::move(token);
    return o;
  }
  const std::string& path() const { return GetParam(); }
};

TEST_P(Credentials, PasswordAndToken) {
  Server server(with("viewer:s3cret", "tok123"));
  server.start();
  const int port = server.port();
  const std::string cookie = cookie_from_page(port, "tok123");
  EXPECT_EQ(cookie, "Cookie: libindex_token=tok123");

  EXPECT_EQ(refusal(WsClient(port, path())), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {basic_auth_header("viewer:wrong")})), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {basic_auth_header("viewer:s3cret2")})), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {basic_auth_header("Viewer:s3cret")})), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path() + "?token=tok12")), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path() + "?token=tok1234")), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {"Cookie: libindex_token=nope"})), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {"Authorization: Bearer tok123"})), "401 | 401 Unauthorized");
  // Malformed Basic headers around the right credentials (base64 of "viewer:s3cret" is dmlld2VyOnMzY3JldA==).
  for (const char* bad : {"Authorization: Basic dmlld2VyOnMzY3JldA== junk", "Authorization: Basic dmlld2VyOnMzY3JldA",
                          "Authorization: Basic dmlld2VyOnMzY3JldA==dmlld2Vy"})
    EXPECT_EQ(refusal(WsClient(port, path(), {bad})), "401 | 401 Unauthorized") << bad;

  WsClient password(port, path(), {basic_auth_header("viewer:s3cret")});
  EXPECT_TRUE(password.open()) << refusal(password);
  WsClient token(port, path() + "?token=tok123");
  EXPECT_TRUE(token.open()) << refusal(token);
  WsClient by_cookie(port, path(), {cookie, origin_of(server)}); // as the page's own script opens it
  EXPECT_TRUE(by_cookie.open()) << refusal(by_cookie);

  // Another site's page is refused whatever credentials its request carries.
  for (const std::string& credential : {basic_auth_header("viewer:s3cret"), cookie}) {
    WsClient foreign(port, path(), {credential, "Origin: http://evil.example"});
    EXPECT_EQ(refusal(foreign), "403 | 403 Forbidden origin") << credential;
  }
  WsClient foreign_token(port, path() + "?token=tok123", {"Origin: http://evil.example"});
  EXPECT_EQ(refusal(foreign_token), "403 | 403 Forbidden origin");
}

TEST_P(Credentials, PasswordOnly) {
  Server server(with("viewer:s3cret", ""));
  server.start();
  const int port = server.port();
  WsClient none(port, path());
  EXPECT_EQ(refusal(none), "401 | 401 Unauthorized");
  EXPECT_EQ(none.handshake().headers.count("www-authenticate"), 1u);
  EXPECT_EQ(refusal(WsClient(port, path(), {basic_auth_header("viewer:wrong")})), "401 | 401 Unauthorized");
  // No token is configured: no token, empty or not, lets anyone in.
  EXPECT_EQ(refusal(WsClient(port, path() + "?token=")), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path() + "?token=x")), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {"Cookie: libindex_token="})), "401 | 401 Unauthorized");
  WsClient right(port, path(), {basic_auth_header("viewer:s3cret")});
  EXPECT_TRUE(right.open()) << refusal(right);
  WsClient foreign(port, path(), {basic_auth_header("viewer:s3cret"), "Origin: http://evil.example"});
  EXPECT_EQ(refusal(foreign), "403 | 403 Forbidden origin");
}

TEST_P(Credentials, TokenOnly) {
  Server server(with("", "tok123"));
  server.start();
  const int port = server.port();
  WsClient none(port, path());
  EXPECT_EQ(refusal(none), "401 | 401 Unauthorized");
  EXPECT_EQ(none.handshake().headers.count("www-authenticate"), 0u) << "no password to ask the browser for";
  EXPECT_EQ(refusal(WsClient(port, path() + "?token=tok12")), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path() + "?token=")), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {basic_auth_header("viewer:tok123")})), "401 | 401 Unauthorized");
  EXPECT_EQ(refusal(WsClient(port, path(), {"Cookie: libindex_token=tok12"})), "401 | 401 Unauthorized");
  WsClient token(port, path() + "?token=tok123");
  EXPECT_TRUE(token.open()) << refusal(token);
  WsClient by_cookie(port, path(), {cookie_from_page(port, "tok123"), origin_of(server)});
  EXPECT_TRUE(by_cookie.open()) << refusal(by_cookie);
  WsClient foreign(port, path() + "?token=tok123", {"Origin: http://evil.example"});
  EXPECT_EQ(refusal(foreign), "403 | 403 Forbidden origin");
}

INSTANTIATE_TEST_SUITE_P(BothSockets, Credentials, ::testing::ValuesIn(kSockets),
                         [](const auto& info) { return info.param == kSockets[0] ? "command" : "video"; });

// --- limits ----------------------------------------------------------------------------------

TEST(Limits, BatchOverTheLimitRunsNothing) {
  Server server(local_options());
  server.start();
  RpcDispatcher rpc; // default limits: 1 MiB, 100 calls
  std::atomic<int> calls{0};
  rpc.add({"echo", "", {}, {}, {}}, [&](const json& p) {
    ++calls;
    return p;
  });
  SessionPump pump(server, rpc);
  WsClient client(server.port(), "/index_command_client");
  ASSERT_TRUE(client.open());

  auto batch = [](int n) {
    std::string b = "[";
    for (int i = 0; i < n; ++i)
      b += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"echo","params":[1],"id":)" + std::to_string(i) +
           "}";
    return b + "]";
  };
  ASSERT_TRUE(client.send_text(batch(17500)));
  auto reply = client.receive(kWait);
  ASSERT_TRUE(reply) << "no reply to the long batch";
  json r = json::parse(reply->data);
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(r["error"]["message"], "batch of 17500 calls > limit 100");
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_EQ(calls, 0);

  ASSERT_TRUE(client.send_text(batch(100)));
  reply = client.receive(kWait);
  ASSERT_TRUE(reply);
  r = json::parse(reply->data);
  ASSERT_TRUE(r.is_array());
  EXPECT_EQ(r.size(), 100u);
  EXPECT_EQ(calls, 100);
}

TEST(Limits, TooManyPendingCommandsAreAnsweredAtOnce) {
  ServerOptions o = local_options();
  o.max_pending_commands = 4;
  Server server(o);
  server.start();
  WsClient client(server.port(), "/index_command_client");
  ASSERT_TRUE(client.open());
  // No session takes commands: four wait; beyond them the service thread answers each call with its
  // own id at once (a client waiting for its id would wait forever for a null one), a notification
  // not at all, and an unreadable message with id null.
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client.send_text("command " + std::to_string(i)));
  ASSERT_TRUE(client.send_text(R"({"jsonrpc":"2.0","method":"camera.orbit","params":{"azimuth":1}})"));
  ASSERT_TRUE(client.send_text(R"({"jsonrpc":"2.0","method":"snapshot","id":5064})"));
  ASSERT_TRUE(client.send_text("command 6"));
  for (const json& id : {json(5064), json(nullptr)}) {
    const auto reply = client.receive(kWait);
    ASSERT_TRUE(reply) << "no answer to a message over the limit";
    const json r = json::parse(reply->data);
    EXPECT_EQ(r["error"]["code"], -32029);
    EXPECT_EQ(r["error"]["message"], "too many pending requests (limit 4)");
    EXPECT_EQ(r["id"], id) << "the notification got an answer, or the call not its id";
  }
  std::vector<Server::Command> taken;
  ASSERT_TRUE(eventually([&] {
    for (auto& c : server.take_commands()) taken.push_back(std::move(c));
    return taken.size() >= 4;
  }));
  ASSERT_EQ(taken.size(), 4u) << "the refused messages never reach the session";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(taken[size_t(i)].text, "command " + std::to_string(i));

  // Taken commands no longer count: the client may send again, and other clients were never limited.
  WsClient other(server.port(), "/index_command_client");
  ASSERT_TRUE(other.open());
  ASSERT_TRUE(client.send_text("again"));
  ASSERT_TRUE(other.send_text("other"));
  taken.clear();
  ASSERT_TRUE(eventually([&] {
    for (auto& c : server.take_commands()) taken.push_back(std::move(c));
    return taken.size() >= 2;
  }));
  EXPECT_EQ(taken.size(), 2u);
}

TEST(Limits, ConnectionsOverTheLimitGet503) {
  ServerOptions o = local_options();
  o.max_connections = 3;
  Server server(o);
  server.start();
  const int port = server.port();
  auto command = std::make_unique<WsClient>(port, "/index_command_client");
  WsClient video(port, "/index_video_client");
  WsClient command2(port, "/index_command_client");
  ASSERT_TRUE(command->open() && video.open() && command2.open());
  ASSERT_TRUE(eventually([&] { return server.stats().connections == 3; }));

  for (const std::string& path : kSockets) {
    WsClient refused(port, path);
    EXPECT_FALSE(refused.open());
    EXPECT_EQ(refusal(refused), "503 | 503 Service Unavailable: too many connections (limit 3)") << path;
  }
  const auto page = http_get(port, "/");
  EXPECT_EQ(page.status, 503);
  EXPECT_EQ(page.body, "503 Service Unavailable: too many connections (limit 3)\n");

  // The open ones work on, and a closed one frees its place.
  ASSERT_TRUE(eventually([&] { return server.stats().connections == 3; }));
  command.reset();
  ASSERT_TRUE(eventually([&] { return server.stats().connections == 2; }));
  WsClient now(port, "/index_video_client");
  EXPECT_TRUE(now.open()) << refusal(now);
}

} // namespace
} // namespace libindex::streaming
