// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file The CUDA launcher's entry points. No CUDA types here: callers need no CUDA headers.
#include <memory>
#include <string>

#include "libindex/kernels/backend.h"

namespace libindex::kernels {
/// Number of CUDA devices; 0 with the reason when cudaGetDeviceCount returns any error.
int cuda_device_count(std::string* reason);
/// One thread per pixel over the active rectangle; the brick in a 3D CUDA array behind two texture
/// objects (hardware trilinear, and point fetches for exact software trilinear).
/// Renders on CUDA device `device`, selected before every frame (the process may use others too).
std::unique_ptr<Backend> make_cuda_backend(int device);
} // namespace libindex::kernels
