# SPDX-License-Identifier: Apache-2.0
# The per-ray geometry's PTX, compiled with the library's flags (--fmad=false), holds no fused
# multiply-add: nvcc contracting camera_ray or lane_lerp would make GPU rays differ from CPU rays
# (-ffp-contract=off) in the last bit. CONTROL, the same source with nvcc's default, must hold some,
# or this check could not tell. Run by ctest: cmake -DPTX=<strict.ptx> -DCONTROL=<default.ptx> -P this
function(count_fma file out)
  file(READ "${file}" ptx)
  string(REGEX MATCHALL "\\.entry" entries "${ptx}")
  if(NOT entries)
    message(FATAL_ERROR "${file}: no kernel entry; not the geometry kernel's PTX?")
  endif()
  string(REGEX MATCHALL "fma\\.rn\\.f32" fmas "${ptx}")
  list(LENGTH fmas n)
  set(${out} ${n} PARENT_SCOPE)
endfunction()
count_fma("${PTX}" strict)
count_fma("${CONTROL}" default)
if(NOT strict EQUAL 0)
  message(FATAL_ERROR "${PTX}: ${strict} fma.rn.f32 in the ray geometry; build the CUDA sources with --fmad=false")
endif()
if(default EQUAL 0)
  message(FATAL_ERROR "${CONTROL}: no FMA even with nvcc's default contraction: this check cannot tell")
endif()
message(STATUS "ray geometry PTX: 0 FMAs with --fmad=false, ${default} with nvcc's default")
