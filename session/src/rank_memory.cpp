// SPDX-License-Identifier: Apache-2.0
#include "libindex/rank_memory.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "libindex/error.h"
#include "libindex/mpi/agreement.h"
#include "libindex/mpi/check.h"

namespace libindex {
namespace {

/// The lower of two limits, where 0 means none.
long long least_limit(long long a, long long b) { return a == 0 ? b : b == 0 ? a : std::min(a, b); }

/// The limit in `file` ("max", a number, or a number so large it means none); 0 when none or unreadable.
long long read_limit(const std::string& file) {
  std::ifstream in(file);
  std::string text;
  if (!(in >> text) || text == "max") return 0;
  try {
    const long long value = std::stoll(text);
    // cgroup v1 writes "no limit" as the largest page-aligned long long.
    return value <= 0 || value >= std::numeric_limits<long long>::max() / 2 ? 0 : value;
  } catch (const std::exception&) {
    return 0;
  }
}

/// The least limit in `limit_file` of `hierarchy`/`path` and every folder above it up to `hierarchy`.
/// Inside a container the cgroup's path is often not under the mounted hierarchy, whose root is
/// then the container's own cgroup: missing folders are skipped, the root is read last.
long long least_limit_along(const std::string& hierarchy, std::string path, const std::string& limit_file) {
  long long least = 0;
  while (!path.empty() && path != "/") {
    least = least_limit(least, read_limit(hierarchy + path + "/" + limit_file));
    path.erase(path.rfind('/'));
  }
  return least_limit(least, read_limit(hierarchy + "/" + limit_file));
}

/// "1.5 GiB", "256 TiB": bytes for a message.
std::string byte_count(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) bytes /= 1024, ++unit;
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.3g %s", bytes, units[unit]);
  return text;
}

} // namespace

long long cgroup_memory_limit(const std::string& proc_self_cgroup, const std::string& cgroup_root) {
  long long least = 0;
  std::istringstream lines(proc_self_cgroup);
  for (std::string line; std::getline(lines, line);) {
    // "hierarchy-ID:controller-list:cgroup-path" (cgroups(7)); v2's unified hierarchy is "0::path".
    const size_t first = line.find(':'), second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    if (controllers.empty()) { // v2: mounted at the root, or at unified/ beside v1's controllers
      least = least_limit(least, least_limit_along(cgroup_root, path, "memory.max"));
      least = least_limit(least, least_limit_along(cgroup_root + "/unified", path, "memory.max"));
      continue;
    }
    std::istringstream list(controllers);
    for (std::string controller; std::getline(list, controller, ',');)
      if (controller == "memory")
        least = least_limit(least, least_limit_along(cgroup_root + "/memory", path, "memory.limit_in_bytes"));
  }
  return least;
}

long long node_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  const long long physical = pages > 0 && page_size > 0 ? (long long)pages * page_size : 0;
  std::ifstream in("/proc/self/cgroup");
  std::stringstream text;
  text << in.rdbuf();
  return least_limit(physical, cgroup_memory_limit(text.str(), "/sys/fs/cgroup"));
}

long long parse_byte_count(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back(); // "8GB", "8GiB"
  if (unit.size() == 2 && (unit[1] == 'i' || unit[1] == 'I')) unit.pop_back();
  static const std::string units = "KMGTP";
  const size_t power = unit.size() == 1 ? units.find(char(std::toupper(uint8_t(unit[0])))) : std::string::npos;
  double scale = 1;
  if (power != std::string::npos)
    scale = std::pow(1024.0, double(power + 1));
  else if (!unit.empty())
    used = 0;
  if (used == 0 || !(value > 0) || !(value * scale < 9e18))
    throw Error("'" + text + "' is not a memory size (bytes, or a number with K, M, G or T: 8G, 512M)");
  return (long long)(value * scale);
}

long long memory_per_rank(MPI_Comm comm) {
  const mpi::NodeRank node = mpi::node_rank(comm);
  std::string error;
  long long mine = 0;
  try {
    if (const char* given = std::getenv("LIBINDEX_MEMORY_PER_RANK"); given && *given) {
      mine = parse_byte_count(given);
    } else {
      // A rank that cannot tell sends the largest value, so the least is some rank's real share;
      // a result of that value means none could tell.
      const long long node_bytes = node_memory_bytes();
      mine = node_bytes > 0 ? node_bytes / node.size : std::numeric_limits<long long>::max();
    }
  } catch (const Error& e) {
    error = "LIBINDEX_MEMORY_PER_RANK: " + std::string(e.what());
  }
  mpi::agree_on_errors(comm, error);
  long long least = 0;
  LIBINDEX_MPI_CHECK(comm, MPI_Allreduce(&mine, &least, 1, MPI_LONG_LONG, MPI_MIN, comm));
  return least == std::numeric_limits<long long>::max() ? 0 : least;
}

void check_scene_memory(const SceneView& view, int ranks, long long memory_per_rank) {
  if (memory_per_rank <= 0 || view.scene.volumes.empty()) return;
  // Every volume is divided over every rank (the scene's other volumes too): each rank holds at
  // least its share of each, rounded up.
  const long long ranks_dividing = std::max(ranks, 1);
  double per_rank = 0; // bytes; a double, since boxes of 65536^3 float voxels overflow a long long
  std::string largest;
  double largest_bytes = 0;
  for (const io::VolumeDesc& v : view.scene.volumes) {
    const Vec3i n = v.source->box().size();
    const double bytes = double(n.x) * double(n.y) * double(n.z) * dtype_size(v.source->dtype());
    per_rank += std::ceil(bytes / double(ranks_dividing));
    if (bytes > largest_bytes) {
      largest_bytes = bytes;
      largest = "volume '" + v.id + "' (" + std::to_string(n.x) + "x" + std::to_string(n.y) + "x" +
                std::to_string(n.z) + " " + to_string(v.source->dtype()) + ", " + byte_count(bytes) + ")";
    }
  }
  if (per_rank <= double(memory_per_rank)) return;
  throw Error("the scene needs at least " + byte_count(per_rank) +
              (ranks == 1 ? " on its one rank" : " on each of its " + std::to_string(ranks) + " ranks") +
              ", and a rank has " + byte_count(double(memory_per_rank)) +
              " (its share of its node's memory, or LIBINDEX_MEMORY_PER_RANK); the largest is " + largest +
              ": use more ranks, or a smaller volume");
}

} // namespace libindex
