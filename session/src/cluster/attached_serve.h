// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The head of a job attached to another job's session: it relays the session's ops to its own
/// ranks (which follow them as in any session) and sends back the image of its part.

#include <mpi.h>

#include <functional>
#include <string>
#include <vector>

#include "libindex/serve.h"

namespace libindex::cluster {

/// Rank 0 of `comm` only (the other ranks run follow_ops). Connects to options.attach_to, presents
/// the token, and renders until the session lets this job go (returns), `stopping()` turns true
/// (says goodbye, returns), or the session's head is gone (throws libindex::Error saying so).
/// Always tells its own ranks to quit before it returns or throws.
void serve_attached(MPI_Comm comm, const ServeOptions& options, const std::vector<std::string>& hosts,
                    const std::function<bool()>& stopping);

} // namespace libindex::cluster
