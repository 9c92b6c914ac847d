// SPDX-License-Identifier: Apache-2.0
#include "libindex/session_record.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cluster/job_link.h"
#include "libindex/error.h"

namespace libindex {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string this_host() {
  char name[256] = {0};
  gethostname(name, sizeof name - 1);
  return name;
}

json to_json(const SessionRecord& r) {
  return {{"id", r.id},       {"job_id", r.job_id},  {"url", r.url},
          {"host", r.host},   {"port", r.port},      {"attach_port", r.attach_port},
          {"pid", r.pid},     {"token", r.token},    {"ranks", r.ranks},
          {"hosts", r.hosts}, {"started", r.started}};
}

SessionRecord from_json(const json& j, const std::string& path) {
  SessionRecord r;
  try {
    r.id = j.at("id").get<std::string>();
    r.job_id = j.value("job_id", std::string());
    r.url = j.at("url").get<std::string>();
    r.host = j.at("host").get<std::string>();
    r.port = j.at("port").get<int>();
    r.pid = j.at("pid").get<long>();
    r.token = j.at("token").get<std::string>();
    r.attach_port = j.value("attach_port", 0);
    r.ranks = j.value("ranks", 1);
    r.hosts = j.value("hosts", std::vector<std::string>());
    r.started = j.value("started", std::string());
  } catch (const json::exception& e) {
    throw Error("session record " + path + ": " + e.what());
  }
  r.path = path;
  return r;
}

SessionRecord read_record(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("session record " + path.string() + ": cannot be read");
  try {
    return from_json(json::parse(in), path.string());
  } catch (const json::parse_error& e) {
    throw Error("session record " + path.string() + ": not JSON (" + e.what() + ")");
  }
}

/// The host part of http(s)://host:port/...
std::string url_host(const std::string& url) {
  const size_t start = url.find("://");
  if (start == std::string::npos) return {};
  const size_t begin = start + 3, end = url.find_first_of(":/", begin);
  return url.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

/// Whether host:port accepts a TCP connection within `timeout_s`; `why` says what happened.
bool accepts_connections(const std::string& host, int port, double timeout_s, std::string& why) {
  try {
    cluster::Link::connect(host, port, timeout_s); // closed again at once
    return true;
  } catch (const Error& e) {
    why = e.what();
    return false;
  }
}

} // namespace

std::string default_runtime_dir() {
  if (const char* dir = std::getenv("LIBINDEX_RUNTIME_DIR"); dir && *dir) return dir;
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/tmp") + "/.libindex/sessions";
}

std::string default_session_id() {
  if (const char* job = std::getenv("SLURM_JOB_ID"); job && *job) return job;
  return "local-" + this_host() + "-" + std::to_string(getpid());
}

std::string generate_session_token() {
  std::random_device random; // the system's source (/dev/urandom)
  std::ostringstream out;
  for (int i = 0; i < 4; ++i) {
    char part[9];
    std::snprintf(part, sizeof part, "%08x", unsigned(random()));
    out << part;
  }
  return out.str();
}

SessionRecordFile::SessionRecordFile(const std::string& dir, const SessionRecord& record) {
  if (record.id.empty() || record.id.find('/') != std::string::npos || record.id == "." || record.id == "..")
    throw Error("session record: '" + record.id + "' is not a usable session id");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("session record: cannot create " + dir + ": " + ec.message());
  const fs::path folder = fs::path(dir) / record.id;
  fs::create_directories(folder, ec);
  if (ec) throw Error("session record: cannot create " + folder.string() + ": " + ec.message());
  fs::permissions(folder, fs::perms::owner_all, fs::perm_options::replace, ec); // the token is a secret
  const fs::path path = folder / "session.json";
  const fs::path partial = folder / "session.json.partial";
  {
    const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw Error("session record: cannot write " + partial.string() + ": " + std::strerror(errno));
    const std::string text = to_json(record).dump(2) + "\n";
    const bool written = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
    ::close(fd);
    if (!written) throw Error("session record: cannot write " + partial.string());
  }
  fs::rename(partial, path, ec); // readers see a whole record or none
  if (ec) throw Error("session record: cannot write " + path.string() + ": " + ec.message());
  folder_ = folder.string(), path_ = path.string();
}

SessionRecordFile::~SessionRecordFile() {
  std::error_code ec;
  fs::remove(path_, ec);
  fs::remove(folder_, ec); // only when empty: other files there belong to someone else
}

std::vector<SessionRecord> list_session_records(const std::string& dir, std::vector<std::string>* problems) {
  std::vector<SessionRecord> records;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return records;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const fs::path path = entry.path() / "session.json";
    if (!fs::exists(path, ec)) continue;
    try {
      records.push_back(read_record(path));
    } catch (const Error& e) {
      if (problems) problems->push_back(e.what());
    }
  }
  std::sort(records.begin(), records.end(), [](const SessionRecord& a, const SessionRecord& b) { return a.id < b.id; });
  return records;
}

std::optional<SessionRecord> find_session_record(const std::string& dir, const std::string& id) {
  if (id.empty() || id.find('/') != std::string::npos || id == "." || id == "..") return std::nullopt;
  const fs::path path = fs::path(dir) / id / "session.json";
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  return read_record(path);
}

Liveness check_alive(const SessionRecord& record, double timeout_s) {
  Liveness l;
  const std::string where = "pid " + std::to_string(record.pid) + " on " + record.host;
  if (record.host == this_host()) {
    if (record.pid <= 0 || (::kill(pid_t(record.pid), 0) != 0 && errno == ESRCH)) {
      l.why = "its head (" + where + ") is gone";
      return l;
    }
  }
  std::string why;
  std::string host = url_host(record.url);
  if (host.empty()) host = record.host;
  l.alive = accepts_connections(host, record.port, timeout_s, why);
  l.why = l.alive ? "its head (" + where + ") answers at " + host + ":" + std::to_string(record.port)
                  : "its head (" + where + ") does not answer: " + why;
  return l;
}

} // namespace libindex
