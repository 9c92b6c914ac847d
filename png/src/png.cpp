// SPDX-License-Identifier: Apache-2.0
#include "libindex/png/png.h"

#include <png.h>

#include <cstring>
#include <string>

#include "libindex/error.h"

namespace libindex::png {
namespace {

// libpng reports errors by longjmp. Everything a longjmp can skip over lives in this plain struct or
// in the caller's frame, never as a non-trivial local of write_rows() (skipping a destructor is UB).
struct WriteJob {
  std::vector<uint8_t>* out;
  png_bytep* rows;
  int width, height, level;
  char error[256];
};

void on_error(png_structp png, png_const_charp message) {
  auto* job = static_cast<WriteJob*>(png_get_error_ptr(png));
  std::strncpy(job->error, message, sizeof(job->error) - 1);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {} // warnings are not errors

void on_write(png_structp png, png_bytep data, png_size_t length) {
  auto* job = static_cast<WriteJob*>(png_get_io_ptr(png));
  try {
    job->out->insert(job->out->end(), data, data + length);
  } catch (...) { // never let a C++ exception unwind through libpng's C frames
    png_error(png, "out of memory");
  }
}

void on_flush(png_structp) {}

// Returns true on success; on failure job->error says why.
bool write_rows(WriteJob* job) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job, on_error, on_warning);
  if (!png) {
    std::strncpy(job->error, "cannot create a libpng write struct", sizeof(job->error) - 1);
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (!info || setjmp(png_jmpbuf(png))) {
    if (!info) std::strncpy(job->error, "cannot create a libpng info struct", sizeof(job->error) - 1);
    png_destroy_write_struct(&png, info ? &info : nullptr);
    return false;
  }
  png_set_write_fn(png, job, on_write, on_flush);
  png_set_compression_level(png, job->level);
  if (job->level <= 2) png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  png_set_IHDR(png, info, png_uint_32(job->width), png_uint_32(job->height), 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  png_write_info(png, info);
  png_write_image(png, job->rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

} // namespace

std::vector<uint8_t> encode(const uint8_t* rgba8, int width, int height, int compression_level, size_t prefix_bytes) {
  require(width > 0 && height > 0,
          "png: cannot encode an empty image (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  require(rgba8 != nullptr, "png: no pixels to encode (null pointer)");
  require(compression_level >= 0 && compression_level <= 9,
          "png: compression level " + std::to_string(compression_level) + " is outside 0..9");
  std::vector<uint8_t> out;
  // A first guess that avoids most regrowth: a rendering compresses to about a third of its pixels.
  out.reserve(prefix_bytes + size_t(width) * size_t(height) * 4 / 3 + 1024);
  out.resize(prefix_bytes);
  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[size_t(y)] = const_cast<png_bytep>(rgba8 + size_t(y) * size_t(width) * 4); // libpng only reads them
  WriteJob job{&out, rows.data(), width, height, compression_level, {}};
  if (!write_rows(&job))
    throw Error(std::string("png: cannot encode a ") + std::to_string(width) + "x" + std::to_string(height) +
                " image: " + job.error);
  return out;
}

Decoded decode(std::span<const uint8_t> file, std::string_view name) {
  // The simplified API needs no setjmp and converts every colour type and bit depth to 8-bit RGBA.
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  const auto fail = [&](const char* why) {
    return Error("png: cannot decode " + std::string(name) + ": " + (why[0] ? why : "not a PNG file"));
  };
  if (file.empty()) throw fail("no bytes");
  if (!png_image_begin_read_from_memory(&image, file.data(), file.size())) throw fail(image.message);
  image.format = PNG_FORMAT_RGBA;
  Decoded out;
  out.width = int(image.width);
  out.height = int(image.height);
  try { // in size_t: PNG_IMAGE_SIZE computes in 32 bits
    out.rgba8.resize(size_t(image.width) * size_t(image.height) * 4);
  } catch (...) {
    png_image_free(&image);
    throw;
  }
  if (!png_image_finish_read(&image, nullptr, out.rgba8.data(), 0, nullptr)) {
    const Error e = fail(image.message);
    png_image_free(&image);
    throw e;
  }
  return out;
}

} // namespace libindex::png
