// SPDX-License-Identifier: Apache-2.0
#include <png.h>

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "libindex/error.h"
#include "libindex/streaming/frame_encoder.h"

namespace libindex::streaming {
namespace {

// libpng reports errors by longjmp. Everything a longjmp can skip over lives in this plain struct
// or in the caller's frame, never as a non-trivial local of write_png() (skipping a destructor is UB).
struct PngJob {
  std::vector<uint8_t>* out;
  png_bytep* rows;
  int width, height;
  PngCompression compression;
  char error[256];
};

void on_error(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::strncpy(job->error, message, sizeof(job->error) - 1);
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {} // warnings are not errors; nothing to report per frame

void on_write(png_structp png, png_bytep data, png_size_t length) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  try {
    job->out->insert(job->out->end(), data, data + length);
  } catch (const std::bad_alloc&) {
    png_error(png, "out of memory");
  }
}

void on_flush(png_structp) {}

// Returns true on success; on failure job->error says why.
bool write_png(PngJob* job) {
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
  if (job->compression == PngCompression::fast) {
    // Level 1 with the SUB filter: several times faster than the defaults and still compact on the
    // smooth gradients a volume rendering is made of.
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
  }
  png_set_IHDR(png, info, png_uint_32(job->width), png_uint_32(job->height), 8, PNG_COLOR_TYPE_RGBA, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
  png_write_info(png, info);
  png_write_image(png, job->rows);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return true;
}

} // namespace

EncodedFrame encode_png(const uint8_t* rgba8_straight, int width, int height, PngCompression compression,
                        size_t prefix) {
  require(rgba8_straight != nullptr && width > 0 && height > 0,
          "png encoder: bad image " + std::to_string(width) + "x" + std::to_string(height));
  EncodedFrame out;
  out.encoding = Encoding::png;
  out.width = width;
  out.height = height;
  out.prefix = prefix;
  // A first guess that avoids most regrowth: fast PNG of a rendering is about a third of the pixels.
  out.buffer.reserve(prefix + size_t(width) * height * 4 / 3 + 1024);
  out.buffer.resize(prefix);

  std::vector<png_bytep> rows(static_cast<size_t>(height));
  for (int y = 0; y < height; ++y)
    rows[size_t(y)] = const_cast<png_bytep>(rgba8_straight + size_t(y) * width * 4); // libpng only reads them

  PngJob job{&out.buffer, rows.data(), width, height, compression, {}};
  require(write_png(&job), std::string("png encoder: ") + job.error);
  return out;
}

} // namespace libindex::streaming
