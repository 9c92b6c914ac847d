// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: io::read_cmap on a file holding the input (.cmap text or a PPM image; seeds of
// both). Allowed outcomes: a colormap of 2 to 65536 entries with every component in [0,1], or
// libindex::Error. Anything else (another exception, a crash, a sanitizer report) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_util.h"
#include "libindex/error.h"
#include "libindex/io/cmap_reader.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  libindex::fuzz::absolute_paths(argc, argv);
  libindex::fuzz::enter_temp_dir("cmap");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  libindex::fuzz::write_file("fuzz.cmap", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const libindex::Colormap map = libindex::io::read_cmap("fuzz.cmap");
    if (map.entries.size() < 2 || map.entries.size() > 65536) std::abort();
    for (const auto& e : map.entries)
      for (float c : {e.x, e.y, e.z, e.w})
        if (!(c >= 0.0f && c <= 1.0f)) std::abort();
  } catch (const libindex::Error& e) {
    libindex::fuzz::expected_error(e);
  }
  return 0;
}
