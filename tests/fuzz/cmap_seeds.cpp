// SPDX-License-Identifier: Apache-2.0
// Writes the PPM seeds of fuzz_cmap (the text .cmap seeds are in corpus/fuzz_cmap): images in each
// form IndeX's colormap loader takes, binary (P6) with 1- and 2-byte samples and plain (P3) with
// comments. Usage: fuzz_cmap_seeds <folder>
#include <string>

#include "fuzz_util.h"

int main(int argc, char** argv) {
  const std::string dir = libindex::fuzz::seed_folder(argc, argv);
  using libindex::fuzz::write_file;
  // As IndeX's colormap writer makes them: a comment naming it, one row, 8-bit samples.
  write_file(dir + "/index_writer.ppm", std::string("P6\n# CREATOR: nv::index::colormap_io 1.0\n4 1\n255\n"
                                                    "\xff\x00\x00\x00\xff\x00\x00\x00\xff\x80\x80\x80",
                                                    61));
  // Two rows of 16-bit samples (most significant byte first).
  std::string wide = "P6 3 2 65535\n";
  for (int i = 0; i < 18; ++i) {
    const int sample = i * 3851;
    wide += char(sample >> 8);
    wide += char(sample & 0xff);
  }
  write_file(dir + "/wide_samples.ppm", wide);
  write_file(dir + "/plain.ppm", "P3 2 1 15\n15 0 0\n0 7 15\n");
  write_file(dir + "/plain_comments.ppm", "P3\n# a ramp\n3 1 # width height\n255\n0 0 0  # black\n128 64 "
                                          "32\n255 255 255\n");
  return 0;
}
