// SPDX-License-Identifier: Apache-2.0
#pragma once
// Sample programs are users' code running in the server: a fault in one (a stray pointer, a stack
// overflow, an integer division by zero) must end its frame, not the process.

#include <functional>
#include <string>

namespace libindex::kernels {

/// Runs `work` on the calling thread; when code it runs faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL), the
/// thread jumps back here and the signal's number is returned (0: no fault). Faults outside guarded
/// work go to the handler that was there before (Open MPI's, or the default: the process ends). Only
/// for work that holds no locks and owns no resources a jump would leak (march_ray does not).
int run_guarded(const std::function<void()>& work);

/// "SIGSEGV (invalid memory access)" and the like.
std::string describe_signal(int signal);

} // namespace libindex::kernels
