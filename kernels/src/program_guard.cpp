// SPDX-License-Identifier: Apache-2.0
#include "program_guard.h"

#include <setjmp.h>
#include <signal.h>

#include <cstdlib>
#include <mutex>
#include <vector>

namespace libindex::kernels {
namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction g_previous[sizeof kSignals / sizeof *kSignals];

thread_local sigjmp_buf* t_recover = nullptr;

void on_fault(int signal, siginfo_t* info, void* context) {
  if (sigjmp_buf* recover = t_recover) {
    t_recover = nullptr;
    siglongjmp(*recover, signal); // SA_NODEFER: the signal is not left blocked on this thread
  }
  for (size_t i = 0; i < sizeof kSignals / sizeof *kSignals; ++i) {
    if (kSignals[i] != signal) continue;
    const struct sigaction& before = g_previous[i];
    if ((before.sa_flags & SA_SIGINFO) && before.sa_sigaction) {
      before.sa_sigaction(signal, info, context);
      return;
    }
    if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN && before.sa_handler) {
      before.sa_handler(signal);
      return;
    }
  }
  // The default action: restore it and return, so the faulting instruction faults again and ends us.
  struct sigaction fallback {};
  fallback.sa_handler = SIG_DFL;
  sigaction(signal, &fallback, nullptr);
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction a {};
    a.sa_sigaction = on_fault;
    a.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&a.sa_mask);
    for (size_t i = 0; i < sizeof kSignals / sizeof *kSignals; ++i) sigaction(kSignals[i], &a, &g_previous[i]);
  });
}

/// A stack of its own for the handler, per thread: a program that recurses without end overflows
/// the thread's stack, and the handler could not run on it. A thread that has one already (the
/// application's, a sanitizer's) keeps it: an embedding simulation's is not ours to replace. Ours is
/// taken down before its memory goes, at the thread's end (a sanitizer that finds a stack there at
/// thread exit takes it for its own and unmaps it).
class AlternateStack {
 public:
  AlternateStack() {
    stack_t current{};
    if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return;
    memory_.resize(1 << 16);
    stack_t s{};
    s.ss_sp = memory_.data();
    s.ss_size = memory_.size();
    if (sigaltstack(&s, nullptr) != 0) memory_.clear();
  }
  ~AlternateStack() {
    stack_t current{};
    if (memory_.empty() || sigaltstack(nullptr, &current) != 0 || current.ss_sp != memory_.data()) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
  }
  AlternateStack(const AlternateStack&) = delete;
  AlternateStack& operator=(const AlternateStack&) = delete;

 private:
  std::vector<char> memory_;
};

void ensure_alternate_stack() { thread_local AlternateStack stack; }

} // namespace

int run_guarded(const std::function<void()>& work) {
  install_once();
  ensure_alternate_stack();
  sigjmp_buf recover;
  const int fault = sigsetjmp(recover, 0);
  if (fault != 0) return fault; // t_recover was cleared by the handler
  t_recover = &recover;
  work();
  t_recover = nullptr;
  return 0;
}

std::string describe_signal(int signal) {
  switch (signal) {
  case SIGSEGV:
    return "SIGSEGV (invalid memory access, or a stack overflow)";
  case SIGBUS:
    return "SIGBUS (bad memory access)";
  case SIGFPE:
    return "SIGFPE (arithmetic error, e.g. an integer division by zero)";
  case SIGILL:
    return "SIGILL (illegal instruction)";
  }
  return "signal " + std::to_string(signal);
}

} // namespace libindex::kernels
