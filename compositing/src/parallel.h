// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file When pixel loops go parallel: with TBB, over independent items (rows, chunks), once the
/// work is large enough to pay for waking the workers; small regions stay on the calling thread.

#include <tbb/parallel_for.h>

namespace libindex::compositing::detail {

/// Below this many pixels a loop runs serially: a few microseconds of work, less than a fork/join.
inline constexpr long long parallel_threshold_pixels = 1 << 16;

/// Calls body(i) once for each i in [0, count); in parallel when `pixels` (the work) is large.
template <class Body>
void for_each_item(int count, long long pixels, const Body& body) {
  if (count > 1 && pixels >= parallel_threshold_pixels)
    tbb::parallel_for(0, count, [&](int i) { body(i); });
  else
    for (int i = 0; i < count; ++i) body(i);
}

} // namespace libindex::compositing::detail
