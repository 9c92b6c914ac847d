// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Typed access to JSON-RPC params for method handlers. A missing or mistyped param throws
/// RpcError{-32602} whose message names the param and the expected type, e.g.
///   invalid params: 'quality' must be an integer

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "libindex/streaming/rpc_error.h"

namespace libindex::streaming {
namespace detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

/// The noun for one value of T ("integer", "string"...), for error messages.
template <class T>
std::string noun() {
  if constexpr (std::is_same_v<T, bool>)
    return "boolean";
  else if constexpr (std::is_integral_v<T> && std::is_unsigned_v<T>)
    return "non-negative integer";
  else if constexpr (std::is_integral_v<T>)
    return "integer";
  else if constexpr (std::is_floating_point_v<T>)
    return "finite number";
  else if constexpr (std::is_same_v<T, std::string>)
    return "string";
  else if constexpr (is_vector<T>::value || is_std_array<T>::value)
    return "array";
  else if constexpr (std::is_same_v<T, nlohmann::json>)
    return "JSON value";
  else
    return "value of the expected type";
}

/// "integers", "arrays of 4 finite numbers": several T, as describe() names the elements of arrays.
template <class T>
std::string plural() {
  if constexpr (is_vector<T>::value)
    return "arrays of " + plural<typename T::value_type>();
  else if constexpr (is_std_array<T>::value)
    return "arrays of " + std::to_string(std::tuple_size_v<T>) + " " + plural<typename T::value_type>();
  else
    return noun<T>() + "s";
}

/// "an integer", "an array of 3 numbers", "an array of arrays of 4 finite numbers"...
template <class T>
std::string describe() {
  if constexpr (is_vector<T>::value)
    return "an array of " + plural<typename T::value_type>();
  else if constexpr (is_std_array<T>::value)
    return "an array of " + std::to_string(std::tuple_size_v<T>) + " " + plural<typename T::value_type>();
  else {
    const std::string n = noun<T>();
    return (std::string("aeiou").find(n[0]) != std::string::npos ? "an " : "a ") + n;
  }
}

/// Strict conversion: no string-to-number or number-to-bool coercion; integers must be whole and in
/// range (3.0 is accepted as 3). Returns false when `j` does not hold a T.
template <class T>
bool convert(const nlohmann::json& j, T& out) {
  if constexpr (std::is_same_v<T, bool>) {
    if (!j.is_boolean()) return false;
    out = j.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (j.is_number_unsigned()) {
      const auto v = j.get<uint64_t>();
      if (!std::in_range<T>(v)) return false;
      out = T(v);
    } else if (j.is_number_integer()) {
      const auto v = j.get<int64_t>();
      if (!std::in_range<T>(v)) return false;
      out = T(v);
    } else if (j.is_number_float()) {
      const double d = j.get<double>();
      // T's range is [min, 2^digits): max itself may not be a double (int64's max rounds up to 2^63,
      // which T cannot hold), but min and 2^digits are.
      const double end = 2.0 * double(T(1) << (std::numeric_limits<T>::digits - 1));
      if (d != std::floor(d) || d < double(std::numeric_limits<T>::min()) || d >= end) return false;
      out = T(d);
    } else {
      return false;
    }
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!j.is_number()) return false;
    out = j.get<T>();
    if (!std::isfinite(out)) return false; // 1e39 as a float: inf would poison the state
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!j.is_string()) return false;
    out = j.get<std::string>();
  } else if constexpr (is_vector<T>::value) {
    if (!j.is_array()) return false;
    out.resize(j.size());
    for (size_t i = 0; i < j.size(); ++i)
      if (!convert(j[i], out[i])) return false;
  } else if constexpr (is_std_array<T>::value) {
    if (!j.is_array() || j.size() != out.size()) return false;
    for (size_t i = 0; i < out.size(); ++i)
      if (!convert(j[i], out[i])) return false;
  } else if constexpr (std::is_same_v<T, nlohmann::json>) {
    out = j;
  } else {
    try {
      out = j.get<T>();
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  }
  return true;
}

/// The member `name` of `params`, or nullptr when params is absent (null) or has no such member.
inline const nlohmann::json* find_param(const nlohmann::json& params, const char* name) {
  if (params.is_null()) return nullptr;
  if (!params.is_object())
    throw RpcError(invalid_params,
                   "invalid params: expected an object of named params, got " + std::string(params.type_name()));
  const auto it = params.find(name);
  return it == params.end() ? nullptr : &*it;
}

} // namespace detail

/// The required param `name` as a T. Throws RpcError{-32602} naming it when missing or mistyped.
template <class T>
T param(const nlohmann::json& params, const char* name) {
  const nlohmann::json* value = detail::find_param(params, name);
  if (!value) throw RpcError(invalid_params, std::string("invalid params: '") + name + "' is required");
  T out{};
  if (!detail::convert(*value, out))
    throw RpcError(invalid_params, std::string("invalid params: '") + name + "' must be " + detail::describe<T>());
  return out;
}

/// The optional param `name` as a T, or `fallback` when it is absent or null. Throws RpcError{-32602}
/// naming it when present with the wrong type.
template <class T>
T param_or(const nlohmann::json& params, const char* name, T fallback) {
  const nlohmann::json* value = detail::find_param(params, name);
  if (!value || value->is_null()) return fallback;
  T out{};
  if (!detail::convert(*value, out))
    throw RpcError(invalid_params, std::string("invalid params: '") + name + "' must be " + detail::describe<T>());
  return out;
}

} // namespace libindex::streaming
