// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file For tests that check how memory was mapped: the kernel's flags on the mapping that holds
/// an address (the VmFlags line of /proc/self/smaps; "hg" is MADV_HUGEPAGE).

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>

namespace libindex::test_support {

/// The VmFlags of the mapping that holds `address`, as " rd wr mr ... " (a space on either side of
/// each flag, so that find(" hg ") matches a whole flag); empty when none holds it.
inline std::string mapping_flags(const void* address) {
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream smaps("/proc/self/smaps");
  std::string line, flags;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) == 3) // a mapping's first line
      inside = lo <= at && at < hi;
    else if (inside && line.rfind("VmFlags:", 0) == 0)
      flags = line.substr(8) + " ";
  }
  return flags;
}

} // namespace libindex::test_support
