// SPDX-License-Identifier: Apache-2.0
// Sample programs compiled for the host: the system C++ compiler builds the prelude, the program and
// the entry point into a shared object, kept in a cache directory by a hash of all it depends on.
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "libindex/error.h"
#include "libindex/kernels/sample_program.h"

extern char** environ;

namespace libindex::kernels {
namespace {

namespace fs = std::filesystem;

// Flags the hash covers: a changed flag is a different program. -ffp-contract=off as the library
// itself is built, so a program's arithmetic rounds as libindex's own.
const std::vector<std::string>& compile_flags() {
  static const std::vector<std::string> flags = {
      "-std=c++17", "-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-math-errno", "-w", "-fvisibility=hidden"};
  return flags;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

std::string compiler() { return env_or("LIBINDEX_CXX", env_or("CXX", "c++")); }

uint64_t fnv1a(const std::string& text, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) throw Error("cannot write " + p.string());
}

/// Runs argv with stdout and stderr into `log`; the exit status, or -1 when it ran past `seconds`
/// (then it is killed). posix_spawn, not fork: safe in an MPI process with many threads.
int run(const std::vector<std::string>& argv, const fs::path& log, double seconds) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) throw Error("cannot run the C++ compiler '" + argv[0] + "': " + std::strerror(spawned));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) throw Error(std::string("waiting for the C++ compiler: ") + std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/// The compiler's `--version`: part of the hash, so a new compiler rebuilds every program.
const std::string& compiler_identity(const std::string& cxx, const fs::path& scratch) {
  static std::mutex mutex;
  static std::map<std::string, std::string> known;
  const std::lock_guard lock(mutex);
  auto it = known.find(cxx);
  if (it == known.end()) {
    const fs::path log = scratch / "version.txt";
    if (run({cxx, "--version"}, log, 30) != 0)
      throw Error("the C++ compiler '" + cxx + "' does not run (set LIBINDEX_CXX to one that does)");
    it = known.emplace(cxx, read_file(log)).first;
  }
  return it->second;
}

fs::path temp_cache() { return fs::temp_directory_path() / ("libindex-" + std::to_string(getuid())) / "xac"; }

/// The cache directory, created: the one the environment names, else the temporary directory's (a
/// read-only home must not stop a program from compiling).
fs::path cache_directory() {
  fs::path chosen = temp_cache();
  if (const char* d = std::getenv("LIBINDEX_CACHE_DIR"); d && *d)
    chosen = fs::path(d) / "xac";
  else if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    chosen = fs::path(x) / "libindex" / "xac";
  else if (const char* h = std::getenv("HOME"); h && *h)
    chosen = fs::path(h) / ".cache" / "libindex" / "xac";
  std::error_code ec;
  fs::create_directories(chosen, ec);
  if (!ec && access(chosen.c_str(), W_OK) == 0) return chosen;
  const fs::path fallback = temp_cache();
  fs::create_directories(fallback, ec);
  if (ec) throw Error("cannot create the sample program cache " + chosen.string() + " nor " + fallback.string());
  return fallback;
}

/// Holds an exclusive lock on `path` (created) while alive: ranks of a node that need the same
/// program at once compile it once, the others wait and find it in the cache.
class FileLock {
 public:
  explicit FileLock(const fs::path& path) : fd_(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_ >= 0) flock(fd_, LOCK_EX); // without a lock each compiles for itself, which is still right
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_); // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

/// The compiler's message from its first error on: the line naming file:line first, then up to 15
/// lines that follow it (the code and its caret, notes).
std::string compiler_message(const std::string& log) {
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  size_t first = 0;
  while (first < lines.size() && lines[first].find("error") == std::string::npos) ++first;
  if (first == lines.size()) first = 0;
  std::string out;
  for (size_t i = first; i < lines.size() && i < first + 16; ++i) out += (i == first ? "" : "\n") + lines[i];
  if (lines.size() > first + 16) out += "\n(" + std::to_string(lines.size() - first - 16) + " more lines)";
  return out.empty() ? "(the compiler said nothing)" : out;
}

std::shared_ptr<void> load(const fs::path& library) {
  void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw Error("cannot load the compiled sample program " + library.string() + ": " + dlerror());
  return std::shared_ptr<void>(handle, [](void* h) { dlclose(h); });
}

} // namespace

std::string sample_program_unit(const SampleProgramSource& source) {
  std::string unit = "#include \"xac_prelude.h\"\n";
  unit += "#line " + std::to_string(source.first_line) + " \"" + source.file + "\"\n";
  unit += source.text;
  if (source.target == ProgramTarget::surface) unit += "\n#define LIBINDEX_XAC_PROGRAM_CLASS Surface_sample_program";
  unit += "\n#include \"xac_entry.h\"\n";
  return unit;
}

std::shared_ptr<const std::vector<unsigned char>> make_parameter_buffer(std::span<const unsigned char> bytes) {
  if (bytes.size() > LIBINDEX_XAC_BUFFER_BYTES)
    throw Error("a parameter buffer holds at most " + std::to_string(LIBINDEX_XAC_BUFFER_BYTES) + " bytes, not " +
                std::to_string(bytes.size()));
  auto buffer = std::make_shared<std::vector<unsigned char>>(LIBINDEX_XAC_BUFFER_BYTES, 0);
  std::copy(bytes.begin(), bytes.end(), buffer->begin());
  return buffer;
}

std::shared_ptr<SampleProgram> compile_sample_program(const SampleProgramSource& source) {
  const std::string cxx = compiler();
  const fs::path cache = cache_directory();
  std::error_code ec;
  // Each compile in its own directory (ranks of one node may compile the same program at once).
  static std::atomic<int> counter{0};
  const fs::path scratch = cache / ("build-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
                                    std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()) % 100000));
  fs::create_directories(scratch, ec);
  if (ec) throw Error("cannot create " + scratch.string() + ": " + ec.message());
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{scratch};

  const std::string unit = sample_program_unit(source);
  uint64_t h = fnv1a(cxx + "\n" + compiler_identity(cxx, scratch));
  for (const auto& f : compile_flags()) h = fnv1a(f + "\n", h);
  for (const PreludeFile& f : sample_program_prelude()) h = fnv1a(f.text, fnv1a(f.name, h));
  h = fnv1a(unit, h);
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.so", (unsigned long long)h);
  const fs::path library = cache / name;

  auto program = std::make_shared<SampleProgram>();
  program->name = source.file + ":" + std::to_string(source.first_line);
  program->unit = unit;
  const FileLock lock(cache / (std::string(name) + ".lock"));
  if (!fs::exists(library)) {
    for (const PreludeFile& f : sample_program_prelude()) write_file(scratch / f.name, f.text);
    write_file(scratch / "program.cpp", unit);
    std::vector<std::string> argv = {cxx};
    for (const auto& f : compile_flags()) argv.push_back(f);
    argv.insert(argv.end(),
                {"-I", scratch.string(), "-o", (scratch / "program.so").string(), (scratch / "program.cpp").string()});
    const double seconds = std::atof(env_or("LIBINDEX_XAC_COMPILE_SECONDS", "120").c_str());
    const int status = run(argv, scratch / "log.txt", seconds > 0 ? seconds : 120);
    if (status == -1)
      throw Error(program->name + ": the sample program did not compile within " + std::to_string(int(seconds)) +
                  " s (LIBINDEX_XAC_COMPILE_SECONDS)");
    if (status != 0) throw Error(compiler_message(read_file(scratch / "log.txt")));
    fs::rename(scratch / "program.so", library, ec); // atomic: others see all of it or none
    if (ec && !fs::exists(library)) throw Error("cannot store " + library.string() + ": " + ec.message());
  }
  program->library = load(library);
  program->execute = reinterpret_cast<LibindexXacExecute>(dlsym(program->library.get(), LIBINDEX_XAC_ENTRY_NAME));
  if (!program->execute) throw Error(library.string() + " has no " + LIBINDEX_XAC_ENTRY_NAME);
  const auto empty = make_parameter_buffer({});
  for (auto& b : program->buffers) b = empty;
  return program;
}

} // namespace libindex::kernels
