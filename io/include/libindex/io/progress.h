// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Load progress: readers report bytes read for loads over 64 MiB, by default as lines on stderr.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace libindex::io {

/// Loads smaller than this are not reported.
inline constexpr uint64_t kProgressThresholdBytes = uint64_t(64) << 20;

/// One report: `what` names the source (its describe()), `done` of `total` bytes after `seconds`.
/// The last report of a load has done == total.
using ProgressCallback = std::function<void(const std::string& what, uint64_t done, uint64_t total, double seconds)>;

/// Replaces the process-wide progress hook and returns the previous one. An empty callback silences
/// progress. Process-wide because progress is a logging concern, like stderr itself; the default
/// prints "libindex: <what>: read 512.0 of 1024.0 MiB (50%), 230.1 MB/s".
ProgressCallback set_progress_callback(ProgressCallback callback);

/// Counts the bytes of one load and calls the hook about once a second and at the end, when `total`
/// is at least kProgressThresholdBytes or once the load has taken a second (then from that report
/// on). add() may be called from several threads.
class ProgressMeter {
 public:
  ProgressMeter(std::string what, uint64_t total);
  /// Adds `bytes` to the count; reports when a second has passed since the last report.
  void add(uint64_t bytes);
  /// Reports the final count (done == total) once.
  void finish();

 private:
  void report(uint64_t done);
  std::string what_;
  uint64_t total_;
  bool enabled_; ///< under mutex_
  std::atomic<uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_, last_;
  std::mutex mutex_; // guards enabled_, last_ and finished_
  bool finished_ = false;
};

} // namespace libindex::io
