// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The one exception type of the library. Messages name the file, key or value at fault.

#include <stdexcept>
#include <string>

namespace libindex {

/// Every error the library reports. Apps print `what()` as one line and exit non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws Error(message) when `condition` is false. For checks of user input and of the environment.
inline void require(bool condition, const std::string& message) {
  if (!condition) throw Error(message);
}

} // namespace libindex
