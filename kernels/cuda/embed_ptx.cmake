# SPDX-License-Identifier: Apache-2.0
# Writes the PTX file PTX into OUT as the C++ string NAME (namespace libindex::kernels), for the
# library to hand to nvJitLink at run time. Run by the build: cmake -DPTX= -DOUT= -DNAME= -P this
file(READ "${PTX}" ptx)
string(FIND "${ptx}" ")libindex_ptx\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${PTX} contains the raw string's delimiter")
endif()
file(WRITE "${OUT}" "// Generated from ${PTX} by kernels/cuda/embed_ptx.cmake: do not edit.\n"
                    "namespace libindex::kernels {\n"
                    "extern const char ${NAME}[];\n"
                    "const char ${NAME}[] = R\"libindex_ptx(${ptx})libindex_ptx\";\n"
                    "} // namespace libindex::kernels\n")
