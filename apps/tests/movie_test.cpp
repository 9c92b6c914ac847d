// SPDX-License-Identifier: Apache-2.0
/// \file Movies: frames written by MovieWriter decode (with FFmpeg's decoder) to the same number of
/// frames, each close to its own image and farther from every other; `index-render --orbit 8 --movie`
/// decodes to the 8 PNGs of the same orbit; bad requests are one clear error. Skips where this build
/// has no FFmpeg.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "libindex/config.h"
#include "libindex/error.h"
#include "libindex/png/png.h"
#include "libindex/io/movie_writer.h"

#if LIBINDEX_WITH_MOVIE
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}
#endif

using namespace libindex;
namespace fs = std::filesystem;

namespace {

using Frame = std::vector<uint8_t>; // RGBA, rows packed

#if LIBINDEX_WITH_MOVIE
/// Every frame of the first video stream of `path`, as RGBA of its size.
std::vector<Frame> decode_movie(const std::string& path, int& width, int& height) {
  AVFormatContext* format = nullptr;
  if (avformat_open_input(&format, path.c_str(), nullptr, nullptr) < 0) return {};
  avformat_find_stream_info(format, nullptr);
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  AVCodecContext* decoder = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(decoder, format->streams[index]->codecpar);
  avcodec_open2(decoder, codec, nullptr);
  width = decoder->width, height = decoder->height;
  SwsContext* convert = sws_getContext(width, height, decoder->pix_fmt, width, height, AV_PIX_FMT_RGBA, SWS_BICUBIC,
                                       nullptr, nullptr, nullptr);
  std::vector<Frame> frames;
  AVPacket* packet = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  auto drain = [&] {
    while (avcodec_receive_frame(decoder, frame) == 0) {
      Frame rgba(size_t(width) * height * 4);
      uint8_t* rows[1] = {rgba.data()};
      const int stride[1] = {4 * width};
      sws_scale(convert, frame->data, frame->linesize, 0, height, rows, stride);
      frames.push_back(std::move(rgba));
    }
  };
  while (av_read_frame(format, packet) >= 0) {
    if (packet->stream_index == index) avcodec_send_packet(decoder, packet), drain();
    av_packet_unref(packet);
  }
  avcodec_send_packet(decoder, nullptr);
  drain();
  av_frame_free(&frame);
  av_packet_free(&packet);
  sws_freeContext(convert);
  avcodec_free_context(&decoder);
  avformat_close_input(&format);
  return frames;
}
#endif

/// Mean absolute difference of the colour channels, in 1/255.
double mean_difference(const Frame& a, const Frame& b) {
  if (a.size() != b.size()) return 1e9;
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i)
    if (i % 4 != 3) sum += std::abs(int(a[i]) - int(b[i]));
  return sum / double(a.size() / 4 * 3);
}

/// Each decoded frame is within `tolerance` of its own source and closer to it than to any other.
void expect_frames_match(const std::vector<Frame>& decoded, const std::vector<Frame>& sources, double tolerance) {
  ASSERT_EQ(decoded.size(), sources.size());
  for (size_t i = 0; i < decoded.size(); ++i) {
    const double own = mean_difference(decoded[i], sources[i]);
    EXPECT_LT(own, tolerance) << "frame " << i;
    for (size_t j = 0; j < sources.size(); ++j)
      if (j != i) {
        EXPECT_LT(own, mean_difference(decoded[i], sources[j])) << "frame " << i << " looks like " << j;
      }
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class Movie : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!io::movie_support()) GTEST_SKIP() << "this build has no FFmpeg libraries (libavcodec-dev)";
    dir = fs::temp_directory_path() / ("libindex_movie_" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

} // namespace

TEST_F(Movie, FramesComeBackInOrderAndClose) {
#if LIBINDEX_WITH_MOVIE
  const int w = 64, h = 48;
  std::vector<Frame> sources;
  for (int k = 0; k < 8; ++k) { // a smooth background and a disc moving across it
    Frame f(size_t(w) * h * 4);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        uint8_t* p = &f[(size_t(y) * w + x) * 4];
        const bool disc = std::hypot(x - (8 + 6 * k), y - 24) < 9;
        p[0] = uint8_t(disc ? 230 : 3 * x), p[1] = uint8_t(disc ? 200 : 4 * y), p[2] = uint8_t(disc ? 40 : 90),
        p[3] = 255;
      }
    sources.push_back(f);
  }
  for (const char* name : {"a.mp4", "a.mkv"}) {
    const std::string path = (dir / name).string();
    io::MovieWriter movie(path, w, h, 12);
    for (const Frame& f : sources) movie.add(f);
    movie.finish();
    int dw = 0, dh = 0;
    const std::vector<Frame> decoded = decode_movie(path, dw, dh);
    EXPECT_EQ(dw, w);
    EXPECT_EQ(dh, h);
    expect_frames_match(decoded, sources, 4.0);
  }
#endif
}

TEST_F(Movie, BadRequestsAreOneClearError) {
  EXPECT_NE(error_of([&] { io::MovieWriter((dir / "a.mp4").string(), 63, 48); }).find("must be even"),
            std::string::npos);
  EXPECT_NE(error_of([&] { io::MovieWriter((dir / "a.xyz").string(), 64, 48); }).find("unknown movie file type"),
            std::string::npos);
  EXPECT_NE(error_of([&] { io::MovieWriter((dir / "no" / "a.mp4").string(), 64, 48); }).find("creating the file"),
            std::string::npos);
}

// The tool end to end: the movie of an orbit holds the orbit's frames, the ones -o writes as PNGs.
TEST_F(Movie, IndexRenderOrbitMovieHoldsTheOrbitsFrames) {
#if LIBINDEX_WITH_MOVIE
  const std::string command = std::string(LIBINDEX_INDEX_RENDER) + " --synthetic marschner-lobb --size 48 --width 96" +
                              " --height 80 --background 0 0 0 1 --orbit 8 --movie " + (dir / "orbit.mp4").string() +
                              " -o " + (dir / "frame.png").string() + " > " + (dir / "log.txt").string() + " 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << std::ifstream(dir / "log.txt").rdbuf();
  std::vector<Frame> pngs;
  for (int i = 0; i < 8; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%04d.png", i);
    std::ifstream in(dir / name, std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    pngs.push_back(png::decode(bytes).rgba8);
  }
  int w = 0, h = 0;
  const std::vector<Frame> decoded = decode_movie((dir / "orbit.mp4").string(), w, h);
  EXPECT_EQ(w, 96);
  EXPECT_EQ(h, 80);
  expect_frames_match(decoded, pngs, 4.0);
#endif
}
