// SPDX-License-Identifier: Apache-2.0
// Writes the seed corpus of fuzz_compositing_decoders: real messages from the compositor's encoder
// (compositing/src/sparse.h) behind the target's 5 control bytes, in each pixel format, walk and
// blend mode, plus round-trip inputs. Usage: fuzz_compositing_seeds <folder>
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "sparse.h"
#include "tile.h"

using namespace libindex::compositing;
using namespace libindex::compositing::detail;

namespace {

void write(const std::string& path, const std::vector<unsigned char>& bytes) {
  libindex::fuzz::write_file(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

} // namespace

int main(int argc, char** argv) {
  const std::string dir = libindex::fuzz::seed_folder(argc, argv);
  const char* format_names[3] = {"f32", "f16", "u8"};
  const PixelFormat formats[3] = {PixelFormat::f32, PixelFormat::f16, PixelFormat::u8};
  // Images of w x h with a disc of non-empty pixels (so runs start and end inside rows) in an
  // active rectangle; 256 x 256 gives 4 chunks, most of them empty.
  for (const auto& [w, h] : {std::pair{24, 20}, std::pair{256, 256}}) {
    std::vector<libindex::Vec4f> pixels(size_t(w) * size_t(h));
    const libindex::Rect active{2, 1, w - 3, h - 2};
    for (int y = active.y0; y < active.y1; ++y)
      for (int x = active.x0; x < active.x1; ++x) {
        const float dx = float(x) - 0.5f * float(w), dy = float(y) - 0.5f * float(h);
        const float radius = 0.4f * float(std::min({w, h, 48}));
        const float r = (dx * dx + dy * dy) / (radius * radius);
        const float a = r < 1 ? 1.0f - r : 0.0f;
        pixels[size_t(y) * size_t(w) + size_t(x)] = {0.9f * a, 0.5f * a, 0.25f * a, a};
      }
    Tile tile(libindex::ImageView{pixels.data(), w, h}, active);
    const libindex::Rect region{0, 0, w, h};
    for (int f = 0; f < 3; ++f)
      for (int walk = 0; walk < 2; ++walk) {
        const Buffer b = encode(tile, region, formats[f], walk ? Walk::whole : Walk::bounds);
        const auto* bytes = reinterpret_cast<const unsigned char*>(b.data());
        // The blend mode this message is typically taken with: gather (whole) replaces, exchanges blend.
        const int blend = walk ? 1 : 3;
        std::vector<unsigned char> seed{static_cast<unsigned char>(f | blend << 2 | walk << 5), 0, 0,
                                        static_cast<unsigned char>(w - 1), static_cast<unsigned char>(h - 1)};
        seed.insert(seed.end(), bytes, bytes + b.size);
        write(dir + "/message_" + std::to_string(w) + "x" + std::to_string(h) + "_" + format_names[f] +
                  (walk ? "_whole" : "_bounds"),
              seed);
      }
  }
  // A marker (an empty extent: "nothing here") and round-trip inputs.
  Tile empty(libindex::ImageView{nullptr, 8, 8}, libindex::Rect{});
  const Buffer marker = encode(empty, libindex::Rect{0, 0, 8, 8}, PixelFormat::f32, Walk::bounds);
  std::vector<unsigned char> seed{0, 0, 0, 7, 7};
  const auto* m = reinterpret_cast<const unsigned char*>(marker.data());
  seed.insert(seed.end(), m, m + marker.size);
  write(dir + "/marker", seed);
  for (int f = 0; f < 3; ++f) {
    std::vector<unsigned char> trip{static_cast<unsigned char>(0x80 | 0x20 * (f == 1) | f), 3, 2, 15, 11};
    for (int i = 0; i < 16 * 12; ++i) trip.push_back(static_cast<unsigned char>((i * 37) % 256));
    write(dir + "/round_trip_" + std::string(format_names[f]), trip);
  }
  return 0;
}
