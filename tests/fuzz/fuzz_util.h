// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file What the libFuzzer targets share: a private temporary working directory (removed at exit)
/// and small file helpers. Header-only: each target is one source file plus this.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace libindex::fuzz {

/// Makes the paths among libFuzzer's arguments absolute (corpus folders, -artifact_prefix=,
/// -exact_artifact_path=, -dict=...), so that they still point where they did after
/// enter_temp_dir() changes the working directory. Call it first in LLVMFuzzerInitialize: libFuzzer
/// reads its arguments after that.
inline void absolute_paths(int* argc, char*** argv) {
  namespace fs = std::filesystem;
  static std::vector<std::string> args;
  static std::vector<char*> pointers;
  args.assign(*argv, *argv + *argc);
  const char* path_flags[] = {"-artifact_prefix=", "-exact_artifact_path=", "-dict=",
                              "-features_dir=",    "-merge_control_file=",  "-data_flow_trace="};
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a.empty()) continue;
    if (a[0] != '-') {
      a = fs::absolute(a).string();
      continue;
    }
    for (const char* flag : path_flags) {
      const std::string f = flag;
      if (a.rfind(f, 0) == 0 && a.size() > f.size() && a[f.size()] != '/' && a[f.size()] != '@')
        a = f + fs::absolute(a.substr(f.size())).string();
    }
  }
  pointers.clear();
  for (std::string& a : args) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  *argv = pointers.data();
}

/// Creates /tmp/libindex-fuzz-<name>-XXXXXX (or under $TMPDIR), makes it the working directory and
/// removes it with everything in it when the process exits normally. Returns its path.
inline std::string enter_temp_dir(const std::string& name) {
  namespace fs = std::filesystem;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/libindex-fuzz-" + name + "-XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    std::perror("mkdtemp");
    std::abort();
  }
  static std::string dir;
  dir = fs::canonical(pattern).string();
  fs::current_path(dir);
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(dir, ec);
  });
  return dir;
}

/// Reports an expected error (libindex::Error) on stderr when LIBINDEX_FUZZ_VERBOSE is set: to check
/// how far the seed inputs get (`LIBINDEX_FUZZ_VERBOSE=1 fuzz_x -runs=0 corpus/fuzz_x`).
inline void expected_error(const std::exception& e) {
  static const bool verbose = std::getenv("LIBINDEX_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "[fuzz] libindex::Error: %s\n", e.what());
}

/// Writes `bytes` to `path` (parent folders created), replacing it. Aborts on failure: the harness is
/// broken, not the code under test.
inline void write_file(const std::string& path, std::string_view bytes) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  if (!out) {
    std::perror(path.c_str());
    std::abort();
  }
}

/// The folder a seed writer (`<name>_seeds <folder>`) was given, created; prints its usage and exits
/// with status 2 when it was given something else.
inline std::string seed_folder(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <folder>\n", argv[0]);
    std::exit(2);
  }
  std::filesystem::create_directories(argv[1]);
  return argv[1];
}

/// The contents of `path`; aborts when it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::perror(path.c_str());
    std::abort();
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace libindex::fuzz
