// SPDX-License-Identifier: Apache-2.0
// What hostile or broken input does to RpcDispatcher::handle(): every case gets an exact error
// object (or a repaired result), and nothing escapes as an exception.
#include "libindex/streaming/rpc_dispatcher.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <new>
#include <string>

#include "libindex/error.h"

namespace libindex::streaming {
namespace {

using json = nlohmann::json;

class Hardening : public ::testing::Test {
 protected:
  void SetUp() override {
    rpc.add({"echo", "returns its params", {}, {}, {}}, [this](const json& p) {
      ++calls;
      return p;
    });
    rpc.add({"throw_int", "throws an int", {}, {}, {}}, [](const json&) -> json { throw 42; });
    rpc.add({"throw_bad_alloc", "throws std::bad_alloc", {}, {}, {}},
            [](const json&) -> json { throw std::bad_alloc(); });
    rpc.add({"bad_utf8", "returns bytes that are not UTF-8", {}, {}, {}}, [](const json&) {
      return json{{"name", std::string("caf\xe9 \xff\xfe!")}};
    });
    rpc.add({"nan", "returns NaN and infinity", {}, {}, {}}, [](const json&) {
      return json{{"nan", std::numeric_limits<double>::quiet_NaN()}, {"inf", INFINITY}};
    });
  }

  json call(const std::string& text) {
    const auto reply = rpc.handle(text);
    EXPECT_TRUE(reply.has_value()) << text;
    return reply ? json::parse(*reply) : json();
  }
  static int code(const json& reply) { return reply.at("error").at("code").get<int>(); }
  static std::string message(const json& reply) { return reply.at("error").at("message").get<std::string>(); }

  RpcDispatcher rpc{RpcLimits{4096, 5}};
  int calls = 0;
};

TEST_F(Hardening, IdOutOfDoubleRangeIsAnInvalidRequest) {
  const json r = call(R"({"jsonrpc":"2.0","method":"echo","id":1e400})");
  EXPECT_EQ(code(r), -32600);
  EXPECT_EQ(message(r), "Invalid Request: number out of range");
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_EQ(calls, 0);
  // ...anywhere in the message, and the dispatcher goes on.
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","method":"echo","params":{"x":-1e999},"id":1})")), -32600);
  EXPECT_EQ(code(call(R"([{"jsonrpc":"2.0","method":"echo","id":1e400}])")), -32600);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"echo","params":{"ok":1},"id":2})")["result"]["ok"], 1);
}

TEST_F(Hardening, IdMustBeAStringAnIntegerOrNull) {
  for (const char* id : {"1.5", "1e3", "1.0", R"({"a":1})", "[1]", "true"}) {
    const json r = call(std::string(R"({"jsonrpc":"2.0","method":"echo","id":)") + id + "}");
    EXPECT_EQ(code(r), -32600) << id;
    EXPECT_EQ(message(r), "Invalid Request: 'id' must be a string, an integer or null") << id;
    EXPECT_TRUE(r["id"].is_null()) << id;
  }
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"echo","id":-7})")["id"], -7);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"echo","id":18446744073709551615})")["id"],
            std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"echo","id":"x"})")["id"], "x");
  EXPECT_TRUE(call(R"({"jsonrpc":"2.0","method":"echo","id":null})")["id"].is_null());
  EXPECT_EQ(calls, 4);
}

TEST_F(Hardening, HandlerThrowingANonExceptionIsAnInternalError) {
  const json r = call(R"({"jsonrpc":"2.0","method":"throw_int","id":3})");
  EXPECT_EQ(code(r), -32603);
  EXPECT_EQ(message(r), "Internal error");
  EXPECT_EQ(r["id"], 3);
}

TEST_F(Hardening, HandlerOutOfMemoryIsAnInternalError) {
  const json r = call(R"({"jsonrpc":"2.0","method":"throw_bad_alloc","id":4})");
  EXPECT_EQ(code(r), -32603);
  EXPECT_EQ(message(r), "Internal error: out of memory");
  EXPECT_EQ(r["id"], 4);
}

TEST_F(Hardening, InvalidUtf8InAResultIsReplaced) {
  const json r = call(R"({"jsonrpc":"2.0","method":"bad_utf8","id":5})");
  EXPECT_FALSE(r.contains("error"));
  EXPECT_EQ(r["result"]["name"], "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd!"); // U+FFFD for each bad byte
}

TEST_F(Hardening, NonFiniteNumbersInAResultBecomeNull) {
  const json r = call(R"({"jsonrpc":"2.0","method":"nan","id":6})");
  EXPECT_TRUE(r["result"]["nan"].is_null());
  EXPECT_TRUE(r["result"]["inf"].is_null());
}

TEST_F(Hardening, NestedBatchesAreInvalidRequests) {
  const json r = call(R"([[{"jsonrpc":"2.0","method":"echo","id":1}],{"jsonrpc":"2.0","method":"echo","id":2}])");
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(code(r[0]), -32600);
  EXPECT_EQ(message(r[0]), "Invalid Request: expected an object, got array");
  EXPECT_TRUE(r[0]["id"].is_null());
  EXPECT_EQ(r[1]["id"], 2);
  EXPECT_EQ(calls, 1); // the inner call did not run

  const json only_nested = call("[[]]");
  ASSERT_TRUE(only_nested.is_array());
  EXPECT_EQ(code(only_nested[0]), -32600);
}

TEST_F(Hardening, BatchOverTheLimitRunsNothing) {
  std::string batch = "[";
  for (int i = 0; i < 6; ++i)
    batch += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"echo","id":)" + std::to_string(i) + "}";
  batch += "]";
  const json r = call(batch);
  ASSERT_TRUE(r.is_object()) << "one error, not one per call";
  EXPECT_EQ(code(r), -32600);
  EXPECT_EQ(message(r), "batch of 6 calls > limit 5");
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_EQ(calls, 0);

  // At the limit, everything runs.
  batch = "[";
  for (int i = 0; i < 5; ++i)
    batch += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"echo","id":)" + std::to_string(i) + "}";
  batch += "]";
  EXPECT_EQ(call(batch).size(), 5u);
  EXPECT_EQ(calls, 5);
}

TEST(RpcLimits, DefaultsAndChecks) {
  const RpcDispatcher rpc;
  EXPECT_EQ(rpc.limits().max_message_bytes, size_t(1) << 20);
  EXPECT_EQ(rpc.limits().max_batch_calls, 100u);
  EXPECT_EQ(RpcDispatcher(4096).limits().max_message_bytes, 4096u);
  EXPECT_EQ(RpcDispatcher(4096).limits().max_batch_calls, 100u);
  EXPECT_THROW(RpcDispatcher(RpcLimits{1024, 0}), Error);
  EXPECT_THROW(RpcDispatcher(RpcLimits{0, 10}), Error);

  // The batch of the report: 17,500 calls in about 1 MB gets one error and runs nothing.
  RpcDispatcher big;
  int calls = 0;
  big.add({"echo", "", {}, {}, {}}, [&](const json& p) {
    ++calls;
    return p;
  });
  std::string batch = "[";
  for (int i = 0; i < 17500; ++i)
    batch +=
        std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"echo","params":[1],"id":)" + std::to_string(i) + "}";
  batch += "]";
  ASSERT_LE(batch.size(), big.max_message_bytes());
  const auto reply = big.handle(batch);
  ASSERT_TRUE(reply);
  const json r = json::parse(*reply);
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(r["error"]["message"], "batch of 17500 calls > limit 100");
  EXPECT_EQ(calls, 0);
}

// Found by fuzz_rpc_dispatcher: a float just past an integer type's range (2^64 for uint64, 2^63
// for int64: their max is not a double and rounds up to these) passed the range check, and the
// conversion was undefined behaviour. Every integer param type refuses them and keeps its range.
TEST(RpcParams, FloatsAtTheEdgeOfIntegerRanges) {
  auto refused = [](const json& value, auto type) {
    using T = decltype(type);
    try {
      param<T>(json{{"x", value}}, "x");
    } catch (const RpcError& e) {
      return e.code == invalid_params;
    }
    return false;
  };
  EXPECT_TRUE(refused(json::parse("18446744073709551616.0"), uint64_t{}));
  EXPECT_TRUE(refused(json::parse("1.8446744073709552e19"), uint64_t{}));
  EXPECT_TRUE(refused(json::parse("9223372036854775808.0"), int64_t{}));
  EXPECT_TRUE(refused(json::parse("-9223372036854777856.0"), int64_t{})); // the double below -2^63
  EXPECT_TRUE(refused(json::parse("4294967296.0"), uint32_t{}));
  EXPECT_TRUE(refused(json::parse("2147483648.0"), int{}));
  EXPECT_TRUE(refused(json::parse("256.0"), uint8_t{}));
  EXPECT_TRUE(refused(json::parse("-1.0"), uint64_t{}));
  // The ends of each range are accepted, as floats and as integers.
  EXPECT_EQ(param<uint64_t>(json{{"x", json::parse("18446744073709549568.0")}}, "x"), 18446744073709549568ull);
  EXPECT_EQ(param<uint64_t>(json::parse(R"({"x":18446744073709551615})"), "x"), UINT64_MAX);
  EXPECT_EQ(param<int64_t>(json{{"x", json::parse("-9223372036854775808.0")}}, "x"), INT64_MIN);
  EXPECT_EQ(param<int64_t>(json{{"x", json::parse("9223372036854774784.0")}}, "x"), 9223372036854774784ll);
  EXPECT_EQ(param<int>(json{{"x", json::parse("2147483647.0")}}, "x"), INT32_MAX);
  EXPECT_EQ(param<int>(json{{"x", json::parse("-2147483648.0")}}, "x"), INT32_MIN);
  EXPECT_EQ(param<uint8_t>(json{{"x", json::parse("255.0")}}, "x"), 255);
  EXPECT_EQ(param<int8_t>(json{{"x", json::parse("-128.0")}}, "x"), -128);
  // Through the dispatcher: -32602, and it goes on.
  RpcDispatcher rpc;
  rpc.add({"u64", "", {}, {}, {}}, [](const json& p) { return json(param<uint64_t>(p, "x")); });
  const json r =
      json::parse(*rpc.handle(R"({"jsonrpc":"2.0","method":"u64","params":{"x":18446744073709551616},"id":1})"));
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_EQ(r["error"]["message"], "invalid params: 'x' must be a non-negative integer");
}

// A refused call is answered with its own id (a client waiting for it would wait forever for a
// null one); a notification is not answered at all (JSON-RPC 2.0, 4.1); only a message that cannot
// be read gets id null.
TEST(RpcReplies, TooManyPendingAnswersEachCallWithItsIdAndNoNotification) {
  const json r = json::parse(*too_many_pending_reply(R"({"jsonrpc":"2.0","method":"snapshot","id":5064})", 64));
  EXPECT_EQ(r["error"]["code"], -32029);
  EXPECT_EQ(r["error"]["message"], "too many pending requests (limit 64)");
  EXPECT_EQ(r["id"], 5064);
  EXPECT_EQ(json::parse(*too_many_pending_reply(R"({"method":"x","id":"abc"})", 8))["id"], "abc");
  EXPECT_FALSE(too_many_pending_reply(R"({"jsonrpc":"2.0","method":"camera.orbit","params":{"azimuth":1}})", 64));
  // Text that is not JSON (a NUL byte ends nlohmann's input early): one reply, id null.
  using namespace std::string_literals;
  const auto nul = too_many_pending_reply(R"({"jsonrpc":"2.0","method":"camera.orbit"})"s + '\0' + "x", 64);
  ASSERT_TRUE(nul.has_value());
  EXPECT_TRUE(json::parse(*nul)["id"].is_null());
  const json batch =
      json::parse(*too_many_pending_reply(R"([{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b"},)"
                                          R"({"jsonrpc":"2.0","method":"c","id":"z"},7])",
                                          64));
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0]["id"], 1);
  EXPECT_EQ(batch[1]["id"], "z");
  EXPECT_TRUE(batch[2]["id"].is_null()); // 7 is no call: it has no id
  EXPECT_FALSE(too_many_pending_reply(R"([{"jsonrpc":"2.0","method":"b"}])", 64));
  EXPECT_TRUE(json::parse(*too_many_pending_reply("{not json", 64))["id"].is_null());
  EXPECT_TRUE(json::parse(*too_many_pending_reply(R"({"method":"x","id":[1]})", 64))["id"].is_null());
}

} // namespace
} // namespace libindex::streaming
