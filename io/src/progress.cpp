// SPDX-License-Identifier: Apache-2.0
#include "libindex/io/progress.h"

#include <cstdio>

namespace libindex::io {
namespace {

void print_to_stderr(const std::string& what, uint64_t done, uint64_t total, double seconds) {
  const double mib = 1.0 / double(1 << 20);
  const double rate = seconds > 0 ? double(done) / seconds / 1e6 : 0.0;
  if (done >= total)
    std::fprintf(stderr, "libindex: %s: read %.1f MiB in %.2f s (%.1f MB/s)\n", what.c_str(), double(total) * mib,
                 seconds, rate);
  else
    std::fprintf(stderr, "libindex: %s: read %.1f of %.1f MiB (%d%%), %.1f MB/s\n", what.c_str(), double(done) * mib,
                 double(total) * mib, int(100.0 * double(done) / double(total)), rate);
}

std::mutex g_callback_mutex; // guards g_callback
ProgressCallback g_callback = print_to_stderr;

ProgressCallback current_callback() {
  std::lock_guard lock(g_callback_mutex);
  return g_callback;
}

} // namespace

ProgressCallback set_progress_callback(ProgressCallback callback) {
  std::lock_guard lock(g_callback_mutex);
  std::swap(g_callback, callback);
  return callback;
}

ProgressMeter::ProgressMeter(std::string what, uint64_t total)
    : what_(std::move(what)), total_(total), enabled_(total >= kProgressThresholdBytes),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void ProgressMeter::add(uint64_t bytes) {
  const uint64_t done = done_ += bytes;
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    // A small load is reported too once it has taken a second: a synthetic volume being computed,
    // a slow file system.
    if (!enabled_ && now - start_ >= std::chrono::seconds(1)) enabled_ = true;
    if (!enabled_ || finished_ || now - last_ < std::chrono::seconds(1) || done >= total_) return;
    last_ = now;
  }
  report(done);
}

void ProgressMeter::finish() {
  {
    std::lock_guard lock(mutex_);
    if (!enabled_ || finished_) return;
    finished_ = true;
  }
  report(total_);
}

void ProgressMeter::report(uint64_t done) {
  const auto callback = current_callback();
  if (!callback) return;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  callback(what_, done, total_, seconds);
}

} // namespace libindex::io
