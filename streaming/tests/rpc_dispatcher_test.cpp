// SPDX-License-Identifier: Apache-2.0
#include "libindex/streaming/rpc_dispatcher.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "libindex/error.h"

namespace libindex::streaming {
namespace {

using json = nlohmann::json;

class Dispatcher : public ::testing::Test {
 protected:
  void SetUp() override {
    rpc.add({"add",
             "a + b",
             {{"a", {{"type", "number"}, {"required", true}}}, {"b", {{"type", "number"}}}},
             {{"type", "number"}},
             {"invalid params"}},
            [](const json& p) { return param<double>(p, "a") + param_or<double>(p, "b", 10.0); });
    rpc.add({"fail", "throws a libindex::Error", {}, {}, {"always"}},
            [](const json&) -> json { throw Error("cannot open 'missing.raw'"); });
    rpc.add({"custom", "throws an RpcError with data", {}, {}, {}}, [](const json&) -> json {
      throw RpcError(-32001, "busy", json{{"retry_ms", 50}});
    });
    rpc.add({"touch", "counts calls", {}, {}, {}}, [this](const json&) {
      ++touched;
      return json("ok");
    });
  }

  // Handles `text` and parses the reply (which must exist).
  json call(const std::string& text) {
    const auto reply = rpc.handle(text);
    EXPECT_TRUE(reply.has_value()) << text;
    return reply ? json::parse(*reply) : json();
  }
  static int code(const json& reply) { return reply.at("error").at("code").get<int>(); }
  static std::string message(const json& reply) { return reply.at("error").at("message").get<std::string>(); }

  RpcDispatcher rpc{4096};
  int touched = 0;
};

TEST_F(Dispatcher, Result) {
  const json r = call(R"({"jsonrpc":"2.0","method":"add","params":{"a":1.5,"b":2},"id":7})");
  EXPECT_EQ(r["jsonrpc"], "2.0");
  EXPECT_EQ(r["result"].get<double>(), 3.5);
  EXPECT_EQ(r["id"], 7);
  EXPECT_FALSE(r.contains("error"));
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"add","params":{"a":1},"id":"s"})")["result"].get<double>(), 11.0);
}

TEST_F(Dispatcher, ParseError) {
  const json r = call("{bad");
  EXPECT_EQ(code(r), -32700);
  EXPECT_TRUE(r["id"].is_null());
}

TEST_F(Dispatcher, InvalidRequests) {
  const json empty = call("[]");
  EXPECT_EQ(code(empty), -32600);
  EXPECT_TRUE(empty.is_object()) << "an empty batch gets one error, not an array";

  const json v1 = call(R"({"jsonrpc":"1.0","method":"add","params":{"a":1},"id":1})");
  EXPECT_EQ(code(v1), -32600);
  EXPECT_EQ(v1["id"], 1);

  EXPECT_EQ(code(call(R"({"method":"add","id":1})")), -32600); // no "jsonrpc"
  const json bad_method = call(R"({"jsonrpc":"2.0","method":5})");
  EXPECT_EQ(code(bad_method), -32600);
  EXPECT_TRUE(bad_method["id"].is_null());
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","method":"add","id":{"x":1}})")), -32600); // object id
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","method":"add","id":[1]})")), -32600);
  EXPECT_EQ(code(call(R"({"jsonrpc":"2.0","method":"add","params":3,"id":1})")), -32600);
  EXPECT_EQ(code(call("42")), -32600);
}

TEST_F(Dispatcher, MethodNotFound) {
  const json r = call(R"({"jsonrpc":"2.0","method":"nope","id":3})");
  EXPECT_EQ(code(r), -32601);
  EXPECT_EQ(r["id"], 3);
  EXPECT_NE(message(r).find("nope"), std::string::npos);
}

TEST_F(Dispatcher, InvalidParamsNameTheParam) {
  const json missing = call(R"({"jsonrpc":"2.0","method":"add","params":{"b":1},"id":1})");
  EXPECT_EQ(code(missing), -32602);
  EXPECT_NE(message(missing).find("'a'"), std::string::npos) << message(missing);

  const json mistyped = call(R"({"jsonrpc":"2.0","method":"add","params":{"a":1,"b":"two"},"id":1})");
  EXPECT_EQ(code(mistyped), -32602);
  EXPECT_NE(message(mistyped).find("'b' must be a finite number"), std::string::npos) << message(mistyped);

  const json positional = call(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})");
  EXPECT_EQ(code(positional), -32602);
}

// A client's typo ({"azimth": 30}) used to be ignored: nothing moved, nothing said. A parameter the
// method does not list is -32602 naming it and what the method takes, and the handler never runs.
// IndeX's own methods stay lenient, as IndeX is to its clients.
TEST_F(Dispatcher, AParameterTheMethodDoesNotTakeIsNamed) {
  const json typo = call(R"({"jsonrpc":"2.0","method":"add","params":{"a":1,"bb":2},"id":4})");
  EXPECT_EQ(code(typo), -32602);
  EXPECT_EQ(typo["id"], 4);
  EXPECT_EQ(message(typo), "invalid params: 'bb' is no parameter of add (it takes a, b)");
  rpc.add({"reset", "takes no params", json::object(), {}, {}}, [this](const json&) {
    ++touched;
    return json("ok");
  });
  const json none = call(R"({"jsonrpc":"2.0","method":"reset","params":{"x":1},"id":5})");
  EXPECT_EQ(message(none), "invalid params: 'x' is no parameter of reset (it takes none)");
  EXPECT_EQ(touched, 0);
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"reset","params":{},"id":6})")["result"], "ok");
  // Parameters by position were read as none at all; an empty array still means none.
  EXPECT_EQ(message(call(R"({"jsonrpc":"2.0","method":"reset","params":[1],"id":9})")),
            "invalid params: reset takes its parameters by name (an object), not an array");
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"reset","params":[],"id":10})")["result"], "ok");
  EXPECT_EQ(message(call(R"({"jsonrpc":"2.0","method":"rpc.discover","params":{"x":1},"id":11})")),
            "invalid params: 'x' is no parameter of rpc.discover (it takes none)");
  // A method without a params table (null) is not checked.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"touch","params":{"x":1},"id":8})")["result"], "ok");

  rpc.add({"nv::index::app::x.get", "an IndeX method", {{"known", {{"type", "number"}}}}, {}, {}},
          [](const json&) { return json("lenient"); });
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"nv::index::app::x.get","params":{"other":1},"id":7})")["result"],
            "lenient");
}

TEST_F(Dispatcher, HandlerErrorsBecomeServerErrors) {
  const json r = call(R"({"jsonrpc":"2.0","method":"fail","id":9})");
  EXPECT_EQ(code(r), -32000);
  EXPECT_EQ(message(r), "cannot open 'missing.raw'");
  EXPECT_EQ(r["id"], 9);
  // ...and the dispatcher keeps working.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"add","params":{"a":1,"b":1},"id":10})")["result"], 2.0);

  const json custom = call(R"({"jsonrpc":"2.0","method":"custom","id":1})");
  EXPECT_EQ(code(custom), -32001);
  EXPECT_EQ(custom["error"]["data"]["retry_ms"], 50);
}

TEST_F(Dispatcher, NotificationsGetNoReply) {
  EXPECT_FALSE(rpc.handle(R"({"jsonrpc":"2.0","method":"touch"})").has_value());
  EXPECT_EQ(touched, 1);
  // Not even when they fail.
  EXPECT_FALSE(rpc.handle(R"({"jsonrpc":"2.0","method":"fail"})").has_value());
  EXPECT_FALSE(rpc.handle(R"({"jsonrpc":"2.0","method":"nope"})").has_value());
  // A null id is a request, not a notification.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"touch","id":null})")["result"], "ok");
}

TEST_F(Dispatcher, Batch) {
  const json r = call(R"([
    {"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":"1"},
    {"jsonrpc":"2.0","method":"touch"},
    {"jsonrpc":"2.0","method":"nope","id":"2"},
    1,
    {"jsonrpc":"2.0","method":"add","params":{"a":"x"},"id":"3"}
  ])");
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.size(), 4u); // the notification has no entry
  EXPECT_EQ(r[0]["result"], 3.0);
  EXPECT_EQ(r[0]["id"], "1");
  EXPECT_EQ(code(r[1]), -32601);
  EXPECT_EQ(code(r[2]), -32600);
  EXPECT_TRUE(r[2]["id"].is_null());
  EXPECT_EQ(code(r[3]), -32602);
  EXPECT_EQ(touched, 1);

  EXPECT_FALSE(rpc.handle(R"([{"jsonrpc":"2.0","method":"touch"},{"jsonrpc":"2.0","method":"touch"}])"));
  EXPECT_EQ(touched, 3);
}

TEST_F(Dispatcher, DiscoverListsMethods) {
  const json r = call(R"({"jsonrpc":"2.0","method":"rpc.discover","id":1})");
  const json& doc = r.at("result");
  EXPECT_EQ(doc, rpc.discover());
  const json& methods = doc.at("methods");
  const auto add = std::find_if(methods.begin(), methods.end(), [](const json& m) { return m["name"] == "add"; });
  ASSERT_NE(add, methods.end());
  EXPECT_EQ((*add)["summary"], "a + b");
  ASSERT_EQ((*add)["params"].size(), 2u);
  EXPECT_EQ((*add)["params"][0]["name"], "a");
  EXPECT_EQ((*add)["params"][0]["required"], true);
  EXPECT_EQ((*add)["params"][0]["schema"]["type"], "number");
  EXPECT_EQ((*add)["errors"][0], "invalid params");
  const bool lists_itself =
      std::any_of(methods.begin(), methods.end(), [](const json& m) { return m["name"] == "rpc.discover"; });
  EXPECT_TRUE(lists_itself);
  EXPECT_EQ(methods.size(), 5u);
}

TEST_F(Dispatcher, OversizedMessageIsRefused) {
  const std::string big =
      R"({"jsonrpc":"2.0","method":"touch","params":{"pad":")" + std::string(5000, 'x') + R"("},"id":1})";
  const json r = call(big);
  EXPECT_EQ(code(r), -32600);
  EXPECT_NE(message(r).find("message too large: " + std::to_string(big.size()) + " bytes > limit 4096"),
            std::string::npos)
      << message(r);
  EXPECT_EQ(touched, 0);
}

TEST_F(Dispatcher, DeepNestingIsRefusedWithoutRecursion) {
  RpcDispatcher big(size_t(8) << 20);
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  const auto reply = big.handle(deep);
  ASSERT_TRUE(reply);
  EXPECT_EQ(json::parse(*reply)["error"]["code"], -32600);
}

TEST_F(Dispatcher, InvalidUtf8IsAParseError) {
  EXPECT_EQ(code(call("{\"jsonrpc\":\"2.0\",\"method\":\"\xff\",\"id\":1}")), -32700);
}

// nlohmann's parser stops at a NUL byte: without the check, the call before it ran and the rest was
// never looked at.
TEST_F(Dispatcher, ANulByteIsAParseErrorAndNothingRuns) {
  using namespace std::string_literals;
  for (const std::string& text : {R"({"jsonrpc":"2.0","method":"touch","id":1})"s + '\0' + "junk",
                                  R"({"jsonrpc":"2.0","method":"touch","id":1})"s + '\0',
                                  R"({"jsonrpc":"2.0","method":"touch","id":"a)"s + '\0' + R"(b"})"}) {
    const json r = call(text);
    EXPECT_EQ(code(r), -32700) << r;
    EXPECT_TRUE(r["id"].is_null()) << r;
    EXPECT_NE(r["error"]["data"].get<std::string>().find("NUL byte at offset"), std::string::npos) << r;
    EXPECT_FALSE(rpc.waits_for_frame(text));
  }
  EXPECT_EQ(touched, 0);
  // Escaped, a NUL is a character like any other.
  EXPECT_EQ(call(R"({"jsonrpc":"2.0","method":"touch","id":"a\u0000b"})")["id"], std::string("a\0b", 3));
  EXPECT_EQ(touched, 1);
}

TEST_F(Dispatcher, AddRejectsDuplicatesAndReservedNames) {
  EXPECT_THROW(rpc.add({"add", "", {}, {}, {}}, [](const json&) { return json(); }), Error);
  EXPECT_THROW(rpc.add({"rpc.mine", "", {}, {}, {}}, [](const json&) { return json(); }), Error);
}

TEST_F(Dispatcher, WaitsForFrameWhenAnyCallNamesAMarkedMethod) {
  rpc.add({"render", "renders on every rank", {}, {}, {}, /*waits_for_frame=*/true}, [](const json&) { return 1; });
  EXPECT_TRUE(rpc.waits_for_frame(R"({"jsonrpc":"2.0","method":"render","id":1})"));
  EXPECT_TRUE(rpc.waits_for_frame(R"({"jsonrpc":"2.0","method":"render"})")); // a notification runs it too
  EXPECT_TRUE(rpc.waits_for_frame(R"([{"jsonrpc":"2.0","method":"add","params":{"a":1},"id":1},)"
                                  R"({"jsonrpc":"2.0","method":"render","id":2}])"));
  EXPECT_FALSE(rpc.waits_for_frame(R"({"jsonrpc":"2.0","method":"add","params":{"a":1},"id":1})"));
  EXPECT_FALSE(rpc.waits_for_frame(R"([{"jsonrpc":"2.0","method":"add","id":1},5,"render"])"));
  EXPECT_FALSE(rpc.waits_for_frame(R"({"jsonrpc":"2.0","method":"nothing","id":1})"));
  EXPECT_FALSE(rpc.waits_for_frame(R"({"jsonrpc":"2.0","method":"render","id":1)"));    // not JSON
  EXPECT_FALSE(rpc.waits_for_frame(std::string(5000, ' ') + R"({"method":"render"})")); // over 4096 bytes
  EXPECT_FALSE(rpc.waits_for_frame(std::string(200, '[') + R"({"method":"render"})" + std::string(200, ']')));
  const json methods = rpc.discover()["methods"];
  for (const json& m : methods) EXPECT_EQ(m.value("x-waits-for-frame", false), m["name"] == "render") << m["name"];
}

TEST_F(Dispatcher, InvokeRunsEachCallOfTheMessageAndItsErrorsAreThatCallsReply) {
  std::vector<std::string> invoked;
  const RpcDispatcher::Invoke invoke = [&](const MethodInfo& m, const std::function<json()>& run) -> json {
    invoked.push_back(m.name);
    if (m.name == "touch") throw RpcError(-32001, "held back"); // not run: its handler never sees the call
    return run();
  };
  const auto reply = rpc.handle(R"([{"jsonrpc":"2.0","method":"add","params":{"a":1},"id":1},)"
                                R"({"jsonrpc":"2.0","method":"touch","id":2},)"
                                R"({"jsonrpc":"2.0","method":"rpc.discover","id":3},)"
                                R"({"jsonrpc":"2.0","method":"add","params":{"zz":1},"id":4},)"
                                R"({"jsonrpc":"2.0","method":"fail","id":5}])",
                                invoke);
  ASSERT_TRUE(reply);
  const json r = json::parse(*reply);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0]["result"], 11.0);
  EXPECT_EQ(code(r[1]), -32001);
  EXPECT_EQ(touched, 0);
  EXPECT_TRUE(r[2]["result"].contains("methods"));
  EXPECT_EQ(code(r[3]), -32602);
  EXPECT_EQ(code(r[4]), -32000);
  // rpc.discover reads only the dispatcher, and a call with a parameter the method lacks runs nothing.
  EXPECT_EQ(invoked, (std::vector<std::string>{"add", "touch", "fail"}));
}

TEST(RpcParams, StrictTypes) {
  const json p = {{"i", 3}, {"f", 2.5}, {"whole", 4.0}, {"neg", -1}, {"s", "x"}, {"b", true}, {"v", {1, 2, 3}}};
  EXPECT_EQ(param<int>(p, "i"), 3);
  EXPECT_EQ(param<int>(p, "whole"), 4);
  EXPECT_EQ(param<double>(p, "i"), 3.0);
  EXPECT_EQ(param<std::string>(p, "s"), "x");
  EXPECT_EQ(param<bool>(p, "b"), true);
  EXPECT_EQ((param<std::array<float, 3>>(p, "v")), (std::array<float, 3>{1, 2, 3}));
  EXPECT_EQ(param<std::vector<int>>(p, "v").size(), 3u);
  EXPECT_EQ(param_or<int>(p, "absent", 42), 42);
  try {
    param<int>(p, "f");
    FAIL();
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code, -32602);
    EXPECT_EQ(e.message, "invalid params: 'f' must be an integer");
  }
  EXPECT_THROW(param<unsigned>(p, "neg"), RpcError);
  EXPECT_THROW(param<bool>(p, "i"), RpcError);
  EXPECT_THROW(param<std::string>(p, "i"), RpcError);
  EXPECT_THROW((param<std::array<float, 2>>(p, "v")), RpcError);
  EXPECT_THROW(param<int8_t>(json{{"x", 300}}, "x"), RpcError);
  // Nested arrays say what their elements must hold (colormap.set's entries, given 3 values each).
  try {
    param<std::vector<std::array<float, 4>>>(json{{"entries", {{0, 0, 0}}}}, "entries");
    FAIL();
  } catch (const RpcError& e) {
    EXPECT_EQ(e.message, "invalid params: 'entries' must be an array of arrays of 4 finite numbers");
  }
}

} // namespace
} // namespace libindex::streaming
