// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Volume sample programs (IndeX XAC) compiled at run time: for the host by the system C++
/// compiler into a shared object the marcher calls per sample, and for the GPU by NVRTC. The
/// program's source follows a prelude that provides IndeX's XAC interface (kernels/xac/).

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "libindex/sample_program.h"

namespace libindex::kernels {

/// What a program colours: the samples of a volume (IndeX's volume_sample_program, class
/// Volume_sample_program) or the points of slice planes (surface_sample_program, class
/// Surface_sample_program).
enum class ProgramTarget { volume, surface };

/// A program's text and where it comes from: compiler messages name `file`:line, counting from
/// `first_line` (the line of a scene file where an inline program starts).
struct SampleProgramSource {
  std::string text;
  std::string file = "program";
  int first_line = 1;
  ProgramTarget target = ProgramTarget::volume;
};

/// Compiles `source` for the host with the C++ compiler of $LIBINDEX_CXX (else $CXX, else c++) and
/// loads it. Compiled programs are kept in $LIBINDEX_CACHE_DIR (else $XDG_CACHE_HOME/libindex, else
/// ~/.cache/libindex), named by a hash of the prelude, the program, the compiler and its flags, so a
/// program compiles once per machine, and ranks compiling the same program at once do not collide.
/// A compile that runs longer than $LIBINDEX_XAC_COMPILE_SECONDS (default 120) is stopped. Throws
/// Error with the compiler's first error (file:line: message) and what follows it.
std::shared_ptr<SampleProgram> compile_sample_program(const SampleProgramSource& source);

/// A parameter buffer as programs read it: `bytes`, then zeros up to LIBINDEX_XAC_BUFFER_BYTES.
/// Throws Error when `bytes` is longer.
std::shared_ptr<const std::vector<unsigned char>> make_parameter_buffer(std::span<const unsigned char> bytes);

/// The translation unit both run-time compilers see: the prelude, the program under a #line naming
/// its file, then the entry point (kernels/xac/xac_entry.h).
std::string sample_program_unit(const SampleProgramSource& source);

/// Compiles `source` for the GPU (sm_90) with NVRTC, which needs no device: "" when it compiles,
/// else the compiler's log. Throws Error in a build without CUDA.
std::string compile_sample_program_for_gpu(const SampleProgramSource& source);

/// Compiles a program's unit (SampleProgram::unit) for the GPU with NVRTC and links it with the
/// marcher for programs (nvJitLink), for compute capability `sm` (90: sm_90): the image the CUDA
/// backend loads. Needs no device. Throws Error with the compiler's or linker's log, or in a build
/// without CUDA.
std::vector<char> link_sample_program_for_gpu(const std::string& unit, int sm);

/// The prelude's files by name (xac_abi.h, xac_prelude.h, xac_entry.h), as the compilers include them.
struct PreludeFile {
  const char* name;
  const char* text;
};
std::span<const PreludeFile> sample_program_prelude();

} // namespace libindex::kernels
