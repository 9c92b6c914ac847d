// SPDX-License-Identifier: Apache-2.0
// Session records: written whole with private permissions, listed and found by id, removed on
// destruction; a record whose head is gone, or whose port no longer answers, is stale.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "libindex/error.h"
#include "libindex/session_record.h"

using namespace libindex;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("libindex_records_" + std::to_string(getpid()));
  TempDir() { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string host_name() {
  char name[256] = {0};
  gethostname(name, sizeof name - 1);
  return name;
}

/// A listening loopback socket on a free port, closed on destruction.
struct Listener {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int port = 0;
  Listener() {
    sockaddr_in a{};
    a.sin_family = AF_INET, a.sin_addr.s_addr = htonl(INADDR_LOOPBACK), a.sin_port = 0;
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd, 4), 0);
    socklen_t n = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    port = ntohs(a.sin_port);
  }
  ~Listener() { close(fd); }
};

SessionRecord record(const std::string& id, int port, long pid) {
  SessionRecord r;
  r.id = id, r.job_id = id, r.port = port, r.pid = pid, r.host = host_name();
  r.url = "http://127.0.0.1:" + std::to_string(port) + "/";
  r.token = generate_session_token(), r.ranks = 2, r.hosts = {r.host, r.host}, r.started = "2026-12-02T00:00:00Z";
  return r;
}

/// A process id that no longer exists (a child that exited and was reaped).
long dead_pid() {
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  return long(child);
}

} // namespace

TEST(SessionRecord, WrittenPrivateFoundAndRemoved) {
  TempDir dir;
  Listener head;
  const SessionRecord r = record("4242", head.port, long(getpid()));
  {
    SessionRecordFile file(dir.path.string(), r);
    EXPECT_EQ(file.path(), (dir.path / "4242" / "session.json").string());
    struct stat st {};
    ASSERT_EQ(stat((dir.path / "4242").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(stat(file.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    const std::optional<SessionRecord> found = find_session_record(dir.path.string(), "4242");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->url, r.url);
    EXPECT_EQ(found->token, r.token);
    EXPECT_EQ(found->token.size(), 32u);
    EXPECT_EQ(found->hosts, r.hosts);
    EXPECT_EQ(found->port, head.port);
    EXPECT_EQ(list_session_records(dir.path.string()).size(), 1u);
    const Liveness live = check_alive(*found);
    EXPECT_TRUE(live.alive) << live.why;
  }
  EXPECT_FALSE(fs::exists(dir.path / "4242"));
  EXPECT_FALSE(find_session_record(dir.path.string(), "4242"));
  EXPECT_FALSE(find_session_record(dir.path.string(), "../etc")); // ids are names, not paths
}

TEST(SessionRecord, AHeadThatIsGoneOrDoesNotAnswerIsStale) {
  TempDir dir;
  int closed_port = 0;
  {
    Listener gone;
    closed_port = gone.port;
  }
  const Liveness no_process = check_alive(record("1", closed_port, dead_pid()));
  EXPECT_FALSE(no_process.alive);
  EXPECT_NE(no_process.why.find("is gone"), std::string::npos) << no_process.why;
  const Liveness no_port = check_alive(record("2", closed_port, long(getpid())));
  EXPECT_FALSE(no_port.alive);
  EXPECT_NE(no_port.why.find("does not answer"), std::string::npos) << no_port.why;
}

TEST(SessionRecord, UnreadableRecordsAreNamedNotFatal) {
  TempDir dir;
  Listener head;
  SessionRecordFile good(dir.path.string(), record("7", head.port, long(getpid())));
  fs::create_directories(dir.path / "8");
  std::ofstream(dir.path / "8" / "session.json") << "{\"id\": \"8\", \"url\": 3";
  std::vector<std::string> problems;
  const std::vector<SessionRecord> records = list_session_records(dir.path.string(), &problems);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].id, "7");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find((dir.path / "8" / "session.json").string() + ": not JSON"), std::string::npos)
      << problems[0];
  EXPECT_THROW(find_session_record(dir.path.string(), "8"), Error);
  EXPECT_THROW(SessionRecordFile(dir.path.string(), record("a/b", head.port, 1)), Error);
}

TEST(SessionRecord, IdsComeFromSlurm) {
  ::setenv("SLURM_JOB_ID", "31337", 1);
  EXPECT_EQ(default_session_id(), "31337");
  ::unsetenv("SLURM_JOB_ID");
  EXPECT_EQ(default_session_id(), "local-" + host_name() + "-" + std::to_string(getpid()));
  ::setenv("LIBINDEX_RUNTIME_DIR", "/somewhere/else", 1);
  EXPECT_EQ(default_runtime_dir(), "/somewhere/else");
  ::unsetenv("LIBINDEX_RUNTIME_DIR");
  EXPECT_NE(generate_session_token(), generate_session_token());
}
