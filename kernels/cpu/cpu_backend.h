// SPDX-License-Identifier: Apache-2.0
#pragma once
#include <memory>

#include "libindex/kernels/backend.h"

namespace libindex::kernels {
/// The CPU launcher: TBB over 16x16 pixel tiles of the active rectangle, one march_ray per pixel.
std::unique_ptr<Backend> make_cpu_backend();
} // namespace libindex::kernels
