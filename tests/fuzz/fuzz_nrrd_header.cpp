// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: io::open_nrrd on a file holding the input (fuzz.nrrd, or fuzz.nhdr for inputs of
// odd length), then reads of two small boxes, one at each far corner of the volume. Beside the input
// the working directory holds data files a detached header may name: data.raw (4x4x4 uint16, 128
// bytes), data.gz (the same, gzip) and slice0.raw .. slice3.raw (its four slices). Allowed outcomes: libindex::Error,
// or a source whose reads return exactly the box's bytes. Checked beside the sanitizers:
//  - a source that is not a decoded stream (gzip, bzip2, hex) has all its voxels in the file
//    (open_nrrd checks the size), so reading its last voxels must succeed;
//  - the spacing is finite and positive on every axis.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "fuzz_volume.h"
#include "libindex/error.h"
#include "libindex/io/nrrd_reader.h"
#include "libindex/io/volume_properties.h"

using libindex::Box3i;
using libindex::Vec3i;
using libindex::fuzz::check_read;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  libindex::fuzz::absolute_paths(argc, argv);
  libindex::fuzz::enter_temp_dir("nrrd");
  std::string raw(128, '\0');
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = char(i * 7 + 3);
  libindex::fuzz::write_file("data.raw", raw);
  uLongf size = compressBound(uLong(raw.size()));
  std::string gz(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(gz.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                uLong(raw.size()), 9) != Z_OK)
    std::abort();
  gz.resize(size);
  libindex::fuzz::write_file("data.gz", gz); // a zlib stream: NRRD's "gzip" accepts both headers
  // Multi-file data ("data file: LIST" or "slice%d.raw 0 3 1"): four 4x4 uint16 slices.
  for (int z = 0; z < 4; ++z)
    libindex::fuzz::write_file("slice" + std::to_string(z) + ".raw", raw.substr(size_t(z) * 32, 32));
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = size % 2 ? "fuzz.nhdr" : "fuzz.nrrd";
  libindex::fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const auto source = libindex::io::open_nrrd(path);
    const Box3i box = source->box();
    const Vec3i n = box.size();
    if (!(box.lo == Vec3i{0, 0, 0}) || n.x <= 0 || n.y <= 0 || n.z <= 0) std::abort();
    const libindex::Vec3f spacing = libindex::io::voxel_spacing(*source);
    for (float s : {spacing.x, spacing.y, spacing.z})
      if (!(std::isfinite(s) && s > 0)) std::abort();
    (void)source->describe();
    // A decoded stream's length is known only by decoding it: its reads may fail (truncated, corrupt).
    const std::string what = source->describe();
    const bool streamed = what.find(" gzip") != std::string::npos || what.find(" bzip2") != std::string::npos ||
                          what.find(" hex") != std::string::npos;
    const Vec3i d{std::min(n.x, 3), std::min(n.y, 3), std::min(n.z, 2)};
    check_read(*source, Box3i{{0, 0, 0}, d}, !streamed);
    check_read(*source, Box3i{{n.x - d.x, n.y - d.y, n.z - d.z}, n}, !streamed);
  } catch (const libindex::Error& e) {
    libindex::fuzz::expected_error(e);
  }
  std::remove(path.c_str());
  return 0;
}
