// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: whole messages through streaming::RpcDispatcher::handle, with methods like the
// session's: one reading params of many types through streaming::param / param_or, one that throws
// (a libindex::Error, an RpcError with data, std::bad_alloc, a non-exception...) as its params say,
// one that returns bytes that are not UTF-8, and a notification-friendly no-op. Small limits
// (64 KiB, batches of 8) so the limit paths are reached too.
//
// handle() is noexcept: an escaping exception ends the process (a finding). Checked beside the
// sanitizers: the reply is nullopt or parses as JSON, and is a JSON-RPC response object (or a
// non-empty array of them) with "jsonrpc": "2.0", an "id", and exactly one of "result" / "error".
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "libindex/error.h"
#include "libindex/streaming/rpc_dispatcher.h"

namespace {

using json = nlohmann::json;
namespace st = libindex::streaming;

st::RpcDispatcher make_dispatcher() {
  st::RpcDispatcher d(st::RpcLimits{64 << 10, 8});
  d.add({"typed", "params of every kind", json::object(), json::object(), {}}, [](const json& p) {
    json out;
    out["i"] = st::param<int>(p, "i");
    out["u8"] = st::param_or<uint8_t>(p, "u8", 0);
    out["u32"] = st::param_or<uint32_t>(p, "u32", 0);
    out["i64"] = st::param_or<int64_t>(p, "i64", 0);
    out["u64"] = st::param_or<uint64_t>(p, "u64", 0);
    out["f"] = st::param_or<float>(p, "f", 0.0f);
    out["d"] = st::param_or<double>(p, "d", 0.0);
    out["b"] = st::param_or<bool>(p, "b", false);
    out["s"] = st::param_or<std::string>(p, "s", "");
    out["v"] = st::param_or<std::vector<float>>(p, "v", {});
    out["a"] = st::param_or<std::array<int, 3>>(p, "a", {});
    out["vs"] = st::param_or<std::vector<std::string>>(p, "vs", {});
    out["vv"] = st::param_or<std::vector<std::vector<int>>>(p, "vv", {});
    out["j"] = st::param_or<json>(p, "j", nullptr);
    return out;
  });
  d.add({"throws", "throws what 'what' names", json::object(), json::object(), {}}, [](const json& p) -> json {
    const std::string what = st::param_or<std::string>(p, "what", "error");
    if (what == "error") throw libindex::Error("a libindex error: " + what);
    if (what == "rpc") throw st::RpcError(st::param_or<int>(p, "code", -1), "custom", st::param_or<json>(p, "data", 1));
    if (what == "runtime") throw std::runtime_error("runtime");
    if (what == "bad_alloc") throw std::bad_alloc();
    if (what == "int") throw 42;
    if (what == "json") return json::parse(st::param_or<std::string>(p, "text", "")); // json::parse_error
    return json::array({what});
  });
  d.add({"bytes", "returns params.s with bytes that are not UTF-8", json::object(), json::object(), {}},
        [](const json& p) {
          std::string s = st::param_or<std::string>(p, "s", "");
          s += "\xff\xc3";
          return json{{"s", s}, {"k" + s, s}};
        });
  d.add({"echo", "returns the params", json::object(), json::object(), {}}, [](const json& p) { return p; });
  return d;
}

bool valid_response(const json& r) {
  if (!r.is_object()) return false;
  const auto v = r.find("jsonrpc");
  if (v == r.end() || *v != "2.0" || !r.contains("id")) return false;
  const json& id = r["id"];
  if (!(id.is_null() || id.is_string() || id.is_number_integer())) return false;
  const bool result = r.contains("result"), error = r.contains("error");
  if (result == error) return false;
  if (error) {
    const json& e = r["error"];
    if (!e.is_object() || !e.contains("code") || !e["code"].is_number_integer() || !e.contains("message") ||
        !e["message"].is_string())
      return false;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const st::RpcDispatcher dispatcher = make_dispatcher();
  const std::optional<std::string> reply =
      dispatcher.handle(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!reply) return 0;
  json parsed;
  try {
    parsed = json::parse(*reply);
  } catch (const json::exception&) {
    std::abort(); // a reply that is not JSON
  }
  if (parsed.is_array()) {
    if (parsed.empty()) std::abort();
    for (const json& r : parsed)
      if (!valid_response(r)) std::abort();
  } else if (!valid_response(parsed)) {
    std::abort();
  }
  return 0;
}
