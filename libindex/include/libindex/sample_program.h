// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A volume sample program (IndeX XAC `volume_sample_program`) ready to run on the host: the
/// marcher calls it for every sample of its volume instead of the colormap and shading
/// (kernels/sample_program.h compiles one; DESIGN.md, Sample programs).

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "libindex/xac_abi.h"

namespace libindex {

struct SampleProgram {
  std::string name; ///< where its source came from, for messages (file:line)
  std::string unit; ///< the translation unit (prelude, program, entry point): the GPU compiles it too
  LibindexXacExecute execute = nullptr; ///< the compiled entry point
  /// Parameter buffers by slot (`state.bind_parameter_buffer<T>(slot)`), each
  /// LIBINDEX_XAC_BUFFER_BYTES long: the given bytes, then zeros.
  std::array<std::shared_ptr<const std::vector<unsigned char>>, LIBINDEX_XAC_MAX_BUFFERS> buffers;
  std::shared_ptr<void> library; ///< keeps the compiled shared object loaded while any frame uses it
  /// The signal a run of the program died of on this rank (0: none). Once set the program is off:
  /// its volume renders with the colormap.
  mutable std::atomic<int> fault{0};

  bool usable() const { return execute && fault.load(std::memory_order_relaxed) == 0; }
};

} // namespace libindex
