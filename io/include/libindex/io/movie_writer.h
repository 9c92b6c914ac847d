// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Movies of a camera orbit (index-render --orbit N --movie out.mp4, the viewer's movie.record),
/// encoded in process with FFmpeg's libraries from Debian, never by running a program.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace libindex::io {

/// Whether this build can write movies (FFmpeg's libraries were found).
bool movie_support();

/// A video file: H.264 (libx264) when Debian's libavcodec has it, else MPEG-4 part 2, in the container
/// the file name says (.mp4, .mkv, .mov, .avi); high quality (x264 CRF 16), yuv420p so every
/// player shows it. Throws libindex::Error with one line for a bad name, an odd size or an
/// encoder failure.
class MovieWriter {
 public:
  MovieWriter(const std::string& path, int width, int height, int frames_per_second = 24);
  ~MovieWriter(); ///< finishes the file if finish() was not called (errors are dropped then)
  MovieWriter(const MovieWriter&) = delete;
  MovieWriter& operator=(const MovieWriter&) = delete;

  /// Appends one opaque frame: width x height 8-bit RGBA, rows packed, row 0 at the top.
  void add(const std::vector<uint8_t>& rgba);
  /// Flushes the encoder and writes the file's trailer.
  void finish();
  /// "libx264" or "mpeg4".
  std::string codec() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

} // namespace libindex::io
