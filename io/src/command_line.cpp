// SPDX-License-Identifier: Apache-2.0
// IndeX-style `-key value` overrides, taken out of argv before CLI11 sees the rest.
#include "libindex/error.h"
#include "libindex/io/project_file.h"

namespace libindex::io {
namespace {

// "-index::x" or "--index::x" -> "index::x"; anything else (options, values, paths) -> "".
std::string override_key(const std::string& arg) {
  if (arg.size() < 2 || arg[0] != '-') return "";
  const std::string key = arg.substr(arg[1] == '-' ? 2 : 1);
  if (key.find("::") == std::string::npos || key.find('=') != std::string::npos) return "";
  return key;
}

} // namespace

std::vector<std::pair<std::string, std::string>> parse_command_line_overrides(std::vector<std::string>& args) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string key = override_key(args[i]);
    if (key.empty()) {
      rest.push_back(args[i]);
      continue;
    }
    if (i + 1 >= args.size())
      throw Error("command line: " + args[i] + " needs a value (quote values with spaces: " + args[i] + " \"1 2 3\")");
    pairs.emplace_back(key, args[i + 1]);
    ++i;
  }
  args = std::move(rest);
  return pairs;
}

std::vector<std::pair<std::string, std::string>> parse_command_line_overrides(int& argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  auto pairs = parse_command_line_overrides(args);
  // Compact argv in place: keep argv[0] and the remaining arguments in their order.
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string key = override_key(argv[i]);
    if (!key.empty()) {
      ++i; // skip its value
      continue;
    }
    argv[out++] = argv[i];
  }
  argc = out;
  argv[argc] = nullptr;
  return pairs;
}

} // namespace libindex::io
