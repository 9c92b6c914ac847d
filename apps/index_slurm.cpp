// SPDX-License-Identifier: Apache-2.0
// index-slurm: sessions under Slurm, in the spirit of NVIDIA IndeX's nvindex-slurm.
//   srun -N4 --mpi=pmix index-slurm [-v] viewer --add scene.prj    start a session (each rank execs viewer)
//   srun -N2 --mpi=pmix index-slurm -a <jobid> viewer                attach to the session of job <jobid>
//   index-slurm --list                                               the user's sessions, running or stale
// Sessions are found through the records their heads leave under the runtime directory
// (libindex/session_record.h).
#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "libindex/config.h"
#include "libindex/error.h"
#include "libindex/session_record.h"

using namespace libindex;
namespace fs = std::filesystem;

namespace {

/// Exit codes a script can tell apart.
enum Exit { ok = 0, usage = 1, no_session = 2, stale = 3, cannot_run = 127 };

int list_sessions(const std::string& dir) {
  std::vector<std::string> problems;
  const std::vector<SessionRecord> records = list_session_records(dir, &problems);
  for (const std::string& p : problems) std::cerr << "index-slurm: skipped " << p << "\n";
  if (records.empty()) {
    std::cout << "no sessions under " << dir << "\n";
    return ok;
  }
  std::printf("%-24s %-8s %5s  %-28s %-20s %s\n", "ID", "STATE", "RANKS", "URL", "STARTED", "HOSTS");
  for (const SessionRecord& r : records) {
    const Liveness live = check_alive(r, 1.0);
    std::string hosts;
    for (const std::string& h : r.hosts) hosts += (hosts.empty() ? "" : ",") + h;
    std::printf("%-24s %-8s %5d  %-28s %-20s %s\n", r.id.c_str(), live.alive ? "running" : "stale", r.ranks,
                r.url.c_str(), r.started.c_str(), hosts.c_str());
    if (!live.alive)
      std::printf("    stale: %s; remove %s\n", live.why.c_str(), fs::path(r.path).parent_path().c_str());
  }
  return ok;
}

/// The program to exec: a bare name is looked up next to this binary first (an installed or built
/// tree keeps viewer and index-slurm together), then on PATH by execvp.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const fs::path& candidate : {self.parent_path() / name, self.parent_path() / "viewer" / name})
      if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return name;
}

int exec_program(std::vector<std::string> command, bool verbose) {
  command[0] = resolve_program(command[0]);
  const char* rank = std::getenv("SLURM_PROCID");
  if (verbose && (!rank || std::string(rank) == "0")) {
    std::cerr << "index-slurm: job " << (std::getenv("SLURM_JOB_ID") ? std::getenv("SLURM_JOB_ID") : "(none)") << ", "
              << (std::getenv("SLURM_NTASKS") ? std::getenv("SLURM_NTASKS") : "1") << " tasks on "
              << (std::getenv("SLURM_JOB_NODELIST") ? std::getenv("SLURM_JOB_NODELIST") : "this host") << ": ";
    for (const std::string& a : command) std::cerr << a << " ";
    std::cerr << std::endl;
  }
  std::vector<char*> argv;
  for (std::string& a : command) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::cerr << "index-slurm: cannot run " << command[0] << ": " << std::strerror(errno) << "\n";
  return cannot_run;
}

int attach(const std::string& dir, const std::string& job, const std::vector<std::string>& command) {
  std::optional<SessionRecord> record;
  try {
    record = find_session_record(dir, job);
  } catch (const Error& e) {
    std::cerr << "index-slurm: " << e.what() << "\n";
    return no_session;
  }
  if (!record) {
    std::cerr << "index-slurm: no session of job " << job << " under " << dir
              << " (index-slurm --list shows the sessions; set LIBINDEX_RUNTIME_DIR where the session's head wrote "
                 "its record)\n";
    return no_session;
  }
  const Liveness live = check_alive(*record);
  if (!live.alive) {
    std::cerr << "index-slurm: the session of job " << job << " is stale: " << live.why << "; remove "
              << fs::path(record->path).parent_path().string() << "\n";
    return stale;
  }
  if (record->attach_port <= 0) {
    std::cerr << "index-slurm: the session of job " << job << " takes no attaching jobs (it runs without them)\n";
    return no_session;
  }
  if (command.empty()) {
    std::cerr << "index-slurm: name the program to attach with (e.g. viewer); see --help\n";
    return usage;
  }
  // The program renders for the session instead of serving one of its own.
  std::vector<std::string> attach = {command[0], "--attach", record->host + ":" + std::to_string(record->attach_port),
                                     "--attach-token", record->token};
  attach.insert(attach.end(), command.begin() + 1, command.end());
  return exec_program(attach, false);
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"index-slurm: start a libindex session under Slurm, attach a second job's ranks to it, or list "
               "the sessions.\n"
               "  srun -N4 --mpi=pmix index-slurm [-v] viewer --add scene.prj\n"
               "  srun -N2 --mpi=pmix index-slurm -a JOBID viewer\n"
               "  index-slurm --list"};
  app.set_version_flag("--version", LIBINDEX_VERSION);
  std::string job, dir = default_runtime_dir();
  bool list = false, verbose = false;
  app.add_option("-a,--attach", job, "attach this job's ranks to the running session of Slurm job JOBID");
  app.add_flag("--list", list, "list the sessions under the runtime directory, running or stale");
  app.add_flag("-v,--verbose", verbose, "say what runs where");
  app.add_option("--runtime-dir", dir,
                 "where sessions leave their records (default $LIBINDEX_RUNTIME_DIR, else "
                 "~/.libindex/sessions)");
  app.prefix_command(); // everything from the first positional on is the program and its arguments
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e); // --help
    std::cerr << "index-slurm: error: " << e.what() << " (see --help)" << std::endl;
    return 1;
  }
  std::vector<std::string> command = app.remaining();
  const bool after_dashes = !command.empty() && command.front() == "--"; // `index-slurm -- viewer ...`
  if (after_dashes) command.erase(command.begin());
  // The program starts at the first positional: an option before it that is none of ours is a typo,
  // not a program called "--bogus".
  if (!after_dashes && !command.empty() && command.front().size() > 1 && command.front()[0] == '-') {
    std::cerr << "index-slurm: error: unknown option " << command.front() << " (see --help)" << std::endl;
    return 1;
  }
  if (list) return list_sessions(dir);
  if (!job.empty()) return attach(dir, job, command);
  if (command.empty()) {
    std::cerr << "index-slurm: name the program to run (e.g. viewer), or --list; see --help\n";
    return usage;
  }
  return exec_program(command, verbose);
}
