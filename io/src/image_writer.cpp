// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/image_writer.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

#include <png.h>

#include "file_io.h"
#include "libindex/error.h"

namespace libindex::io {
namespace {

struct WriteState {
  std::vector<uint8_t>* out;
  char message[256];
};

void on_error(png_structp png, png_const_charp msg) {
  auto* state = static_cast<WriteState*>(png_get_error_ptr(png));
  std::snprintf(state->message, sizeof state->message, "%s", msg);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

void on_write(png_structp png, png_bytep data, png_size_t size) {
  auto* state = static_cast<WriteState*>(png_get_io_ptr(png));
  try {
    state->out->insert(state->out->end(), data, data + size);
  } catch (...) { // never let a C++ exception unwind through libpng's C frames
    png_error(png, "out of memory");
  }
}

void on_flush(png_structp) {}

// libpng reports errors by longjmp: this function holds no objects with destructors between setjmp
// and the calls that may jump, so jumping back over them is well defined.
bool encode_rows(const uint8_t* const* rows, int width, int height, int compression, WriteState& state) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state, on_error, on_warning);
  if (!png) return false;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_write_struct(&png, nullptr);
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_set_write_fn(png, &state, on_write, on_flush);
  png_set_compression_level(png, compression);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  png_write_image(png, const_cast<png_bytepp>(rows));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

} // namespace

std::vector<uint8_t> encode_png(const Image& image, bool straight_alpha, int compression) {
  require(image.width() > 0 && image.height() > 0, "png: cannot encode an empty image (" +
                                                       std::to_string(image.width()) + "x" +
                                                       std::to_string(image.height()) + ")");
  require(compression >= 0 && compression <= 9,
          "png: compression level " + std::to_string(compression) + " is outside 0..9");
  const std::vector<uint8_t> rgba = straight_alpha ? to_rgba8_straight(image) : to_rgba8_premultiplied(image);
  std::vector<const uint8_t*> rows(size_t(image.height()));
  for (int y = 0; y < image.height(); ++y) rows[size_t(y)] = rgba.data() + size_t(y) * image.width() * 4;
  std::vector<uint8_t> out;
  out.reserve(rgba.size() / 4 + 1024);
  WriteState state{&out, {0}};
  if (!encode_rows(rows.data(), image.width(), image.height(), compression, state))
    throw Error(std::string("png: encoding failed: ") + (state.message[0] ? state.message : "out of memory"));
  return out;
}

void write_png(const std::string& path, const Image& image, bool straight_alpha, int compression) {
  const auto bytes = encode_png(image, straight_alpha, compression);
  detail::write_file(path, bytes.data(), bytes.size(), "png");
}

Rgba8Image decode_png(const std::vector<uint8_t>& png, const std::string& name) {
  // The simplified API needs no setjmp and converts every colour type to RGBA.
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, png.data(), png.size()))
    throw Error("png: cannot decode " + name + ": " + img.message);
  img.format = PNG_FORMAT_RGBA;
  Rgba8Image out;
  out.width = int(img.width);
  out.height = int(img.height);
  out.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, out.pixels.data(), 0, nullptr)) {
    const std::string msg = img.message;
    png_image_free(&img);
    throw Error("png: cannot decode " + name + ": " + msg);
  }
  return out;
}

} // namespace libindex::io
