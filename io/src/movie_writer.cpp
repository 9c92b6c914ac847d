// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/movie_writer.h"

#include "libindex/config.h"
#include "libindex/error.h"

#if LIBINDEX_WITH_MOVIE
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}
#endif

namespace libindex::io {

#if LIBINDEX_WITH_MOVIE

namespace {
std::string av_error(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, text, sizeof text);
  return text;
}
} // namespace

struct MovieWriter::Impl {
  std::string path;
  int width = 0, height = 0;
  AVFormatContext* format = nullptr;
  AVCodecContext* encoder = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* convert = nullptr;
  int64_t next_pts = 0;
  bool finished = false;

  void check(int rc, const char* what) const {
    if (rc < 0) throw Error("movie '" + path + "': " + what + ": " + av_error(rc));
  }
  /// Sends `f` (nullptr: the end) to the encoder and writes every packet it gives back.
  void encode(const AVFrame* f) {
    check(avcodec_send_frame(encoder, f), "encoding a frame");
    for (;;) {
      const int rc = avcodec_receive_packet(encoder, packet);
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      check(rc, "encoding a frame");
      av_packet_rescale_ts(packet, encoder->time_base, stream->time_base);
      packet->stream_index = stream->index;
      check(av_interleaved_write_frame(format, packet), "writing");
    }
  }
  ~Impl() {
    sws_freeContext(convert);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&encoder);
    if (format && !(format->oformat->flags & AVFMT_NOFILE)) avio_closep(&format->pb);
    avformat_free_context(format);
  }
};

bool movie_support() { return true; }

MovieWriter::MovieWriter(const std::string& path, int width, int height, int fps) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.path = path, m.width = width, m.height = height;
  av_log_set_level(AV_LOG_QUIET); // libx264's statistics are not for our users; errors come back as Error
  if (width < 2 || height < 2 || width % 2 || height % 2)
    throw Error("movie '" + path + "': the frame size " + std::to_string(width) + "x" + std::to_string(height) +
                " must be even on both sides (yuv420p video): set --width and --height");
  if (fps < 1 || fps > 240) throw Error("movie '" + path + "': frames per second must be 1..240");
  if (avformat_alloc_output_context2(&m.format, nullptr, nullptr, path.c_str()) < 0 || !m.format)
    throw Error("movie '" + path + "': unknown movie file type (name it .mp4, .mkv, .mov or .avi)");
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4); // built into every libavcodec
  if (!codec) throw Error("movie '" + path + "': this libavcodec has neither an H.264 nor an MPEG-4 encoder");
  m.stream = avformat_new_stream(m.format, nullptr);
  m.encoder = avcodec_alloc_context3(codec);
  m.frame = av_frame_alloc();
  m.packet = av_packet_alloc();
  if (!m.stream || !m.encoder || !m.frame || !m.packet) throw Error("movie '" + path + "': out of memory");
  m.encoder->width = width, m.encoder->height = height;
  m.encoder->time_base = AVRational{1, fps};
  m.encoder->framerate = AVRational{fps, 1};
  m.encoder->pix_fmt = AV_PIX_FMT_YUV420P;
  m.encoder->gop_size = 12;
  if (m.format->oformat->flags & AVFMT_GLOBALHEADER) m.encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  if (codec->id == AV_CODEC_ID_H264) {
    av_opt_set(m.encoder->priv_data, "crf", "16", 0); // visually lossless on renderings
    av_opt_set(m.encoder->priv_data, "preset", "medium", 0);
  } else {
    m.encoder->flags |= AV_CODEC_FLAG_QSCALE; // constant quality: q 2 is MPEG-4's finest useful step
    m.encoder->global_quality = FF_QP2LAMBDA * 2;
  }
  m.check(avcodec_open2(m.encoder, codec, nullptr), "opening the encoder");
  m.check(avcodec_parameters_from_context(m.stream->codecpar, m.encoder), "setting up the stream");
  m.stream->time_base = m.encoder->time_base;
  if (!(m.format->oformat->flags & AVFMT_NOFILE))
    m.check(avio_open(&m.format->pb, path.c_str(), AVIO_FLAG_WRITE), "creating the file");
  m.check(avformat_write_header(m.format, nullptr), "writing the header");
  m.frame->format = m.encoder->pix_fmt, m.frame->width = width, m.frame->height = height;
  m.check(av_frame_get_buffer(m.frame, 0), "allocating a frame");
  m.convert = sws_getContext(width, height, AV_PIX_FMT_RGBA, width, height, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr,
                             nullptr, nullptr);
  if (!m.convert) throw Error("movie '" + path + "': cannot convert RGBA to yuv420p");
}

MovieWriter::~MovieWriter() {
  try {
    finish();
  } catch (const std::exception&) { // a destructor must not throw; finish() reports errors to callers that ask
  }
}

void MovieWriter::add(const std::vector<uint8_t>& rgba) {
  Impl& m = *impl_;
  require(!m.finished, "movie '" + m.path + "': a frame after finish()");
  require(rgba.size() == size_t(m.width) * size_t(m.height) * 4, "movie '" + m.path + "': a frame of another size");
  m.check(av_frame_make_writable(m.frame), "preparing a frame");
  const uint8_t* rows[1] = {rgba.data()};
  const int stride[1] = {4 * m.width};
  sws_scale(m.convert, rows, stride, 0, m.height, m.frame->data, m.frame->linesize);
  m.frame->pts = m.next_pts++;
  m.encode(m.frame);
}

void MovieWriter::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  m.finished = true;
  m.encode(nullptr);
  m.check(av_write_trailer(m.format), "writing the trailer");
}

std::string MovieWriter::codec() const { return impl_->encoder->codec->name; }

#else // no FFmpeg in this build

struct MovieWriter::Impl {};
bool movie_support() { return false; }
MovieWriter::MovieWriter(const std::string& path, int, int, int) {
  throw Error("movie '" + path +
              "': this build cannot write movies (install libavcodec-dev, libavformat-dev and "
              "libswscale-dev, then configure again)");
}
MovieWriter::~MovieWriter() = default;
void MovieWriter::add(const std::vector<uint8_t>&) {}
void MovieWriter::finish() {}
std::string MovieWriter::codec() const { return ""; }

#endif

} // namespace libindex::io
