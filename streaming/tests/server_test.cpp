// SPDX-License-Identifier: Apache-2.0
// A real server on 127.0.0.1, port 0, and real WebSocket clients (ws_test_client). No time limits
// are asserted: waits are bounded only so that a test fails instead of hanging when nothing comes.
#include "libindex/streaming/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "libindex/error.h"
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

RpcDispatcher echo_dispatcher(size_t max_bytes = kDefaultMaxMessageBytes) {
  RpcDispatcher rpc(max_bytes);
  rpc.add({"echo", "returns its params", {}, {}, {}}, [](const json& p) { return p; });
  return rpc;
}

std::shared_ptr<const std::vector<uint8_t>> make_frame(uint64_t number, size_t payload_bytes) {
  VideoHeader h;
  h.frame = number;
  h.width = 640;
  h.height = 480;
  auto bytes = std::make_shared<std::vector<uint8_t>>(kVideoHeaderSize + payload_bytes);
  pack(h, std::span<uint8_t, kVideoHeaderSize>(bytes->data(), kVideoHeaderSize));
  for (size_t i = 0; i < payload_bytes; ++i) (*bytes)[kVideoHeaderSize + i] = uint8_t((i * 7 + number) & 0xff);
  return bytes;
}

// True when `m` is exactly the frame make_frame(number, payload_bytes) made.
bool intact(const std::string& m, uint64_t number, size_t payload_bytes) {
  if (m.size() != kVideoHeaderSize + payload_bytes) return false;
  for (size_t i = 0; i < payload_bytes; i += 4093)
    if (uint8_t(m[kVideoHeaderSize + i]) != uint8_t((i * 7 + number) & 0xff)) return false;
  return uint8_t(m.back()) == uint8_t(((payload_bytes - 1) * 7 + number) & 0xff);
}

uint64_t frame_number(const std::string& m) {
  return unpack(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m.data()), m.size())).frame;
}

TEST(Server, ServesTheWebRoot) {
  Server server(local_options());
  server.start();
  ASSERT_GT(server.port(), 0);

  const auto page = http_get(server.port(), "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("libindex test page"), std::string::npos);
  EXPECT_EQ(page.headers.at("content-type").rfind("text/html", 0), 0u) << page.headers.at("content-type");

  const auto script = http_get(server.port(), "/app.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.headers.at("content-type").rfind("text/javascript", 0), 0u) << script.headers.at("content-type");
  EXPECT_NE(script.body.find("answer = 42"), std::string::npos);

  const auto css = http_get(server.port(), "/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.headers.at("content-type").rfind("text/css", 0), 0u);

  EXPECT_EQ(http_get(server.port(), "/missing.html").status, 404);
  EXPECT_EQ(http_get(server.port(), "/../../etc/passwd").status, 404);
}

TEST(Server, WithoutWebRootEveryPageIs404) {
  ServerOptions o = local_options();
  o.web_root.clear();
  Server server(o);
  server.start();
  EXPECT_EQ(http_get(server.port(), "/").status, 404);
  EXPECT_EQ(http_get(server.port(), "/index.html").status, 404);
}

TEST(Server, UrlNamesTheAddressAndPort) {
  Server server(local_options());
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/");
  ServerOptions any = local_options();
  any.bind = "0.0.0.0";
  any.token = "tok123";
  Server wildcard(any);
  const std::string url = wildcard.url();
  EXPECT_EQ(url.rfind("http://", 0), 0u);
  EXPECT_NE(url.find(":" + std::to_string(wildcard.port()) + "/"), std::string::npos);
  EXPECT_EQ(url.find("0.0.0.0"), std::string::npos) << url;
}

TEST(Server, PortInUseIsOneClearError) {
  Server first(local_options());
  ServerOptions o = local_options();
  o.port = first.port();
  try {
    Server second(o);
    FAIL() << "a second server listened on the same port";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())), std::string::npos) << what;
    EXPECT_NE(what.find("in use"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

TEST(Server, CommandRoundTripThroughADispatcher) {
  Server server(local_options());
  server.start();
  RpcDispatcher rpc = echo_dispatcher();
  SessionPump pump(server, rpc);

  WsClient client(server.port(), "/index_command_client");
  ASSERT_TRUE(client.open()) << client.handshake().status;
  ASSERT_TRUE(client.send_text(R"({"jsonrpc":"2.0","method":"echo","params":{"x":1},"id":1})"));
  auto reply = client.receive(kWait);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->binary);
  json r = json::parse(reply->data);
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["result"]["x"], 1);

  // A notification gets nothing: the next reply is the next request's.
  ASSERT_TRUE(client.send_text(R"({"jsonrpc":"2.0","method":"echo","params":{"x":2}})"));
  // Fragmented messages are reassembled.
  const std::string big =
      R"({"jsonrpc":"2.0","method":"echo","params":{"s":")" + std::string(200000, 'z') + R"("},"id":2})";
  ASSERT_TRUE(client.send_text(big, 5));
  reply = client.receive(kWait);
  ASSERT_TRUE(reply);
  r = json::parse(reply->data);
  EXPECT_EQ(r["id"], 2);
  EXPECT_EQ(r["result"]["s"].get<std::string>().size(), 200000u);

  // Errors are replies too; the connection stays.
  ASSERT_TRUE(client.send_text("{bad"));
  reply = client.receive(kWait);
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(reply->data)["error"]["code"], -32700);
}

// Notifications go only to clients that ask for them: NVIDIA IndeX's notebook helpers take every
// message as the reply to their last request (`reply["id"]`) and fail on one without an id.
TEST(Server, NotificationsGoOnlyToClientsThatAskForThem) {
  Server server(local_options());
  server.start();
  RpcDispatcher rpc = echo_dispatcher();
  SessionPump pump(server, rpc);
  WsClient asked(server.port(), "/index_command_client?notify=1");
  WsClient asked_among_other_args(server.port(), "/index_command_client?x=y&notify=true");
  WsClient plain(server.port(), "/index_command_client");
  WsClient declined(server.port(), "/index_command_client?notify=0");
  ASSERT_TRUE(asked.open() && asked_among_other_args.open() && plain.open() && declined.open());

  server.broadcast_text(R"({"jsonrpc":"2.0","method":"scene_changed"})");
  for (WsClient* c : {&asked, &asked_among_other_args}) {
    const auto notice = c->receive(kWait);
    ASSERT_TRUE(notice);
    EXPECT_EQ(json::parse(notice->data)["method"], "scene_changed");
  }
  for (WsClient* c : {&plain, &declined}) {
    ASSERT_TRUE(c->send_text(R"({"jsonrpc":"2.0","method":"echo","params":{"x":7},"id":5})"));
    const auto next = c->receive(kWait);
    ASSERT_TRUE(next);
    EXPECT_EQ(json::parse(next->data)["id"], 5) << "the first message after the broadcast is the reply";
  }
}

TEST(Server, RepliesGoToTheirOwnConnection) {
  Server server(local_options());
  server.start();
  RpcDispatcher rpc = echo_dispatcher();
  SessionPump pump(server, rpc);
  WsClient a(server.port(), "/index_command_client"), b(server.port(), "/index_command_client");
  ASSERT_TRUE(a.open() && b.open());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(
        a.send_text(R"({"jsonrpc":"2.0","method":"echo","params":{"who":"a"},"id":)" + std::to_string(i) + "}"));
    ASSERT_TRUE(
        b.send_text(R"({"jsonrpc":"2.0","method":"echo","params":{"who":"b"},"id":)" + std::to_string(i) + "}"));
  }
  for (int i = 0; i < 20; ++i) {
    auto ra = a.receive(kWait), rb = b.receive(kWait);
    ASSERT_TRUE(ra && rb);
    EXPECT_EQ(json::parse(ra->data)["result"]["who"], "a");
    EXPECT_EQ(json::parse(ra->data)["id"], i) << "replies keep their order";
    EXPECT_EQ(json::parse(rb->data)["result"]["who"], "b");
  }
  server.reply(987654, "nobody"); // a connection that does not exist: dropped, no harm
}

TEST(Server, OversizedMessageGetsAnErrorAndTheConnectionStays) {
  ServerOptions o = local_options();
  o.max_message_bytes = 1024;
  Server server(o);
  server.start();
  RpcDispatcher rpc = echo_dispatcher(1024);
  SessionPump pump(server, rpc);

  WsClient client(server.port(), "/index_command_client");
  ASSERT_TRUE(client.open());
  for (int fragments : {1, 4}) {
    const std::string big =
        R"({"jsonrpc":"2.0","method":"echo","params":{"s":")" + std::string(4000, 'q') + R"("},"id":5})";
    ASSERT_TRUE(client.send_text(big, fragments));
    auto reply = client.receive(kWait);
    ASSERT_TRUE(reply) << "no reply to an oversized message in " << fragments << " fragment(s)";
    const json r = json::parse(reply->data);
    EXPECT_EQ(r["error"]["code"], -32600);
    EXPECT_EQ(r["error"]["message"], "message too large: " + std::to_string(big.size()) + " bytes > limit 1024");

    ASSERT_TRUE(client.send_text(R"({"jsonrpc":"2.0","method":"echo","params":{"ok":true},"id":6})"));
    reply = client.receive(kWait);
    ASSERT_TRUE(reply) << "the connection did not survive";
    EXPECT_EQ(json::parse(reply->data)["result"]["ok"], true);
  }
}

TEST(Server, BinaryCommandIsAnErrorAndTextGoesToTheSession) {
  Server server(local_options());
  server.start();
  WsClient client(server.port(), "/index_command_client");
  ASSERT_TRUE(client.open());
  // No SessionPump: the service thread answers a binary message itself...
  ASSERT_TRUE(client.send_binary("abc"));
  const auto reply = client.receive(kWait);
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(reply->data)["error"]["code"], -32600);
  // ...and text waits in the inbox for the session, with the connection's id.
  ASSERT_TRUE(client.send_text("x"));
  ASSERT_TRUE(server.wait_for_commands(kWait));
  const auto commands = server.take_commands();
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0].text, "x");
  server.reply(commands[0].connection, "y");
  const auto y = client.receive(kWait);
  ASSERT_TRUE(y);
  EXPECT_EQ(y->data, "y");
}

TEST(Server, LatestFrameWinsAndASlowClientBlocksNobody) {
  Server server(local_options());
  server.start();
  WsClient reader(server.port(), "/index_video_client");
  WsClient stalled(server.port(), "/index_video_client"); // connects and never reads
  ASSERT_TRUE(reader.open() && stalled.open());
  ASSERT_TRUE(eventually([&] { return server.stats().video_clients == 2; }));

  // 100 frames of 1 MiB, published as fast as possible while nobody reads: far more than socket
  // buffers hold, so both clients must skip. publish_frame returning at all is the non-blocking check.
  constexpr size_t kPayload = size_t(1) << 20;
  constexpr uint64_t kFrames = 100;
  for (uint64_t i = 1; i <= kFrames; ++i) server.publish_frame(make_frame(i, kPayload));

  uint64_t last = 0;
  int received = 0;
  while (last != kFrames) {
    const auto m = reader.receive(kWait);
    ASSERT_TRUE(m) << "the reader stopped getting frames after frame " << last;
    ASSERT_TRUE(m->binary);
    const uint64_t n = frame_number(m->data);
    ASSERT_GT(n, last) << "frames arrive newest-ward only";
    ASSERT_TRUE(intact(m->data, n, kPayload)) << "frame " << n << " arrived damaged";
    last = n;
    ++received;
  }
  EXPECT_EQ(last, kFrames);
  EXPECT_LT(received, int(kFrames));
  const auto stats = server.stats();
  EXPECT_GT(stats.frames_skipped, 0u);
  EXPECT_GE(stats.frames_sent, uint64_t(received));

  // The stalled client still holds the service thread to nothing: a new frame reaches the reader.
  server.publish_frame(make_frame(kFrames + 1, 1000));
  const auto m = reader.receive(kWait);
  ASSERT_TRUE(m);
  EXPECT_EQ(frame_number(m->data), kFrames + 1);
  EXPECT_TRUE(intact(m->data, kFrames + 1, 1000));
}

TEST(Server, ANewViewerGetsTheCurrentFrame) {
  Server server(local_options());
  server.start();
  server.publish_frame(make_frame(7, 5000));
  WsClient viewer(server.port(), "/index_video_client");
  ASSERT_TRUE(viewer.open());
  const auto m = viewer.receive(kWait);
  ASSERT_TRUE(m);
  EXPECT_EQ(frame_number(m->data), 7u);
  EXPECT_TRUE(intact(m->data, 7, 5000));
}

TEST(Server, ZeroCopyBufferHasTheSameBytes) {
  Server server(local_options());
  server.start();
  WsClient viewer(server.port(), "/index_video_client");
  ASSERT_TRUE(viewer.open());
  ASSERT_TRUE(eventually([&] { return server.stats().video_clients == 1; }));
  const auto frame = make_frame(3, 300000);
  std::vector<uint8_t> buffer(kWsHeadroom + frame->size());
  std::copy(frame->begin(), frame->end(), buffer.begin() + kWsHeadroom);
  server.publish_frame_buffer(std::move(buffer));
  const auto m = viewer.receive(kWait);
  ASSERT_TRUE(m);
  EXPECT_TRUE(intact(m->data, 3, 300000));
}

// Opaque RGBA gradient for the encoders.
std::vector<uint8_t> gradient(int w, int h) {
  std::vector<uint8_t> px(size_t(w) * h * 4, 255);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      px[(size_t(y) * w + x) * 4] = uint8_t(x * 255 / w), px[(size_t(y) * w + x) * 4 + 1] = uint8_t(y);
  return px;
}

TEST(Server, PublishEncodedSendsHeaderAndImage) {
  Server server(local_options());
  server.start();
  WsClient viewer(server.port(), "/index_video_client");
  ASSERT_TRUE(viewer.open());
  ASSERT_TRUE(eventually([&] { return server.stats().video_clients == 1; }));
  const auto px = gradient(40, 30);

  JpegEncoder jpeg;
  EncodedFrame f = jpeg.encode(px.data(), 40, 30, 80, kVideoMessagePrefix); // zero-copy path
  const std::vector<uint8_t> jpeg_bytes(f.image().begin(), f.image().end());
  VideoHeader h;
  h.frame = 5;
  h.render_ms = 1.5f;
  h.flags = kFlagInteractive;
  server.publish_encoded(h, std::move(f));
  auto m = viewer.receive(kWait);
  ASSERT_TRUE(m);
  auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m->data.data()), m->data.size());
  VideoHeader got = unpack(bytes);
  EXPECT_EQ(got.frame, 5u);
  EXPECT_EQ(got.encoding, Encoding::jpeg);
  EXPECT_EQ(got.width, 40u);
  EXPECT_EQ(got.height, 30u);
  EXPECT_EQ(got.render_ms, 1.5f);
  EXPECT_EQ(got.flags, kFlagInteractive);
  EXPECT_TRUE(std::equal(bytes.begin() + kVideoHeaderSize, bytes.end(), jpeg_bytes.begin(), jpeg_bytes.end()));

  EncodedFrame png = encode_png(px.data(), 40, 30); // no prefix: copied once
  const std::vector<uint8_t> png_bytes(png.image().begin(), png.image().end());
  h.frame = 6;
  server.publish_encoded(h, std::move(png));
  m = viewer.receive(kWait);
  ASSERT_TRUE(m);
  bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(m->data.data()), m->data.size());
  got = unpack(bytes);
  EXPECT_EQ(got.frame, 6u);
  EXPECT_EQ(got.encoding, Encoding::png);
  EXPECT_TRUE(std::equal(bytes.begin() + kVideoHeaderSize, bytes.end(), png_bytes.begin(), png_bytes.end()));
}

TEST(Server, MalformedFramesAreRefusedLoudly) {
  Server server(local_options());
  const auto frame = make_frame(1, 100);
  // The header at offset 0, where the headroom should be: the easy mistake.
  EXPECT_THROW(server.publish_frame_buffer(std::vector<uint8_t>(frame->begin(), frame->end())), Error);
  EXPECT_THROW(server.publish_frame_buffer(std::vector<uint8_t>(4)), Error);
  EXPECT_THROW(server.publish_frame(std::make_shared<const std::vector<uint8_t>>(100, uint8_t(7))), Error);
  EXPECT_EQ(server.stats().frames_sent, 0u);
}

TEST(Server, ClientsCountOncePerEndpoint) {
  Server server(local_options());
  server.start();
  {
    WsClient command(server.port(), "/index_command_client");
    WsClient video(server.port(), "/index_video_client");
    ASSERT_TRUE(command.open() && video.open());
    ASSERT_TRUE(eventually([&] {
      const auto s = server.stats();
      return s.command_clients == 1 && s.video_clients == 1;
    }));
  }
  EXPECT_TRUE(eventually([&] {
    const auto s = server.stats();
    return s.command_clients == 0 && s.video_clients == 0;
  }));
}

TEST(Server, UnknownSocketPathIs404) {
  Server server(local_options());
  server.start();
  WsClient client(server.port(), "/elsewhere");
  EXPECT_FALSE(client.open());
  EXPECT_EQ(client.handshake().status, 404);
}

class AuthServer : public ::testing::Test {
 protected:
  static ServerOptions options() {
    ServerOptions o = local_options();
    o.basic_auth = "viewer:s3cret";
    o.token = "tok123";
    o.allowed_origins = {"http://good.example"};
    return o;
  }
  void SetUp() override { server.start(); }
  Server server{options()};
  const std::string right = basic_auth_header("viewer:s3cret");
};

TEST_F(AuthServer, PageNeedsCredentials) {
  const auto none = http_get(server.port(), "/");
  EXPECT_EQ(none.status, 401);
  ASSERT_TRUE(none.headers.count("www-authenticate"));
  EXPECT_EQ(none.headers.at("www-authenticate").rfind("Basic realm=", 0), 0u);
  EXPECT_EQ(none.body.find("libindex test page"), std::string::npos);

  EXPECT_EQ(http_get(server.port(), "/", {basic_auth_header("viewer:wrong")}).status, 401);
  EXPECT_EQ(http_get(server.port(), "/", {basic_auth_header("viewer:s3cret2")}).status, 401);
  EXPECT_EQ(http_get(server.port(), "/", {"Authorization: Bearer tok123"}).status, 401);
  const auto ok = http_get(server.port(), "/", {right});
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("libindex test page"), std::string::npos);
}

TEST_F(AuthServer, TokenInUrlBecomesACookie) {
  // The page URL's token is traded for a cookie and the browser sent back without it.
  const auto page = http_get(server.port(), "/?token=tok123&view=a%20b");
  EXPECT_EQ(page.status, 302);
  ASSERT_TRUE(page.headers.count("set-cookie"));
  EXPECT_EQ(page.headers.at("set-cookie").rfind("libindex_token=tok123;", 0), 0u) << page.headers.at("set-cookie");
  EXPECT_NE(page.headers.at("set-cookie").find("HttpOnly"), std::string::npos);
  EXPECT_EQ(page.headers.at("location"), "/?view=a%20b");
  EXPECT_EQ(http_get(server.port(), "/app.js?token=tok123").headers.at("location"), "/app.js");

  const auto with_cookie = http_get(server.port(), "/", {"Cookie: a=b; libindex_token=tok123"});
  EXPECT_EQ(with_cookie.status, 200);
  EXPECT_NE(with_cookie.body.find("libindex test page"), std::string::npos);
  EXPECT_EQ(http_get(server.port(), "/app.js", {"Cookie: libindex_token=tok123"}).status, 200);

  EXPECT_EQ(http_get(server.port(), "/?token=tok12").status, 401);
  EXPECT_EQ(http_get(server.port(), "/app.js", {"Cookie: libindex_token=nope"}).status, 401);
}

TEST_F(AuthServer, SocketsNeedCredentials) {
  WsClient none(server.port(), "/index_video_client");
  EXPECT_FALSE(none.open());
  EXPECT_EQ(none.handshake().status, 401);
  WsClient wrong(server.port(), "/index_command_client", {basic_auth_header("viewer:nope")});
  EXPECT_FALSE(wrong.open());
  EXPECT_EQ(wrong.handshake().status, 401);

  WsClient video(server.port(), "/index_video_client", {right});
  ASSERT_TRUE(video.open()) << video.handshake().status;
  ASSERT_TRUE(eventually([&] { return server.stats().video_clients == 1; }));
  server.publish_frame(make_frame(11, 2048));
  const auto m = video.receive(kWait);
  ASSERT_TRUE(m);
  EXPECT_EQ(frame_number(m->data), 11u);

  WsClient by_token(server.port(), "/index_command_client?token=tok123");
  EXPECT_TRUE(by_token.open()) << by_token.handshake().status;
  WsClient by_cookie(server.port(), "/index_command_client", {"Cookie: libindex_token=tok123"});
  EXPECT_TRUE(by_cookie.open()) << by_cookie.handshake().status;
}

TEST_F(AuthServer, OtherOriginsAreRefused) {
  WsClient evil(server.port(), "/index_command_client", {right, "Origin: http://evil.example"});
  EXPECT_FALSE(evil.open());
  EXPECT_EQ(evil.handshake().status, 403);
  WsClient good(server.port(), "/index_command_client", {right, "Origin: http://good.example"});
  EXPECT_TRUE(good.open()) << good.handshake().status;
}

TEST(GeneratePassword, SixteenRandomAlphanumerics) {
  const std::string a = generate_password(), b = generate_password();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); }));
  EXPECT_NE(a, b);
}

} // namespace
} // namespace libindex::streaming
