# SPDX-License-Identifier: Apache-2.0
# Installs the libraries, headers and a CMake package, so a simulation code can write
#   find_package(libindex REQUIRED)  and  target_link_libraries(sim PRIVATE libindex::libindex)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(libindex_exported core:libindex_core kernels:libindex_kernels mpi:libindex_mpi compositing:libindex_compositing
    png:libindex_png io:libindex_io streaming:libindex_streaming libindex:libindex_session warnings:libindex_warnings)
set(libindex_install_targets "")
foreach(pair ${libindex_exported})
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 export_name)
  list(GET pair 1 target)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  if(NOT target STREQUAL "libindex_warnings")
    target_include_directories(${target} INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  endif()
  if(NOT target MATCHES "^libindex_(warnings|session)$")
    set_target_properties(${target} PROPERTIES OUTPUT_NAME index_${export_name}) # libindex_io.a, -lindex_io
  endif()
  list(APPEND libindex_install_targets ${target})
endforeach()

install(TARGETS ${libindex_install_targets} EXPORT libindexTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
foreach(dir libindex/include kernels/include mpi/include compositing/include png/include io/include streaming/include session/include)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()
install(FILES ${CMAKE_BINARY_DIR}/generated/libindex/config.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/libindex)
install(FILES ${PROJECT_SOURCE_DIR}/fortran/libindex_insitu.f90 DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/libindex)
# Not scenes/data/: generated and downloaded volumes that git ignores (scenes/.gitignore).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenes/ DESTINATION ${CMAKE_INSTALL_DATADIR}/libindex/scenes
        PATTERN "data" EXCLUDE PATTERN ".gitignore" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/streaming/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/libindex/web)

set(libindex_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/libindex)
install(EXPORT libindexTargets NAMESPACE libindex:: DESTINATION ${libindex_cmake_dir})
get_property(LIBINDEX_TURBOJPEG_TARGET GLOBAL PROPERTY LIBINDEX_TURBOJPEG_TARGET)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/libindexConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/libindexConfig.cmake INSTALL_DESTINATION ${libindex_cmake_dir})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/libindexConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/libindexConfig.cmake ${CMAKE_BINARY_DIR}/libindexConfigVersion.cmake
        DESTINATION ${libindex_cmake_dir})

# pkg-config, for codes built with make: `pkg-config --cflags --libs libindex`.
set(LIBINDEX_PC_EXTRA_LIBS "")
set(LIBINDEX_PC_EXTRA_REQUIRES "")
if(LIBINDEX_WITH_OPENVDB)
  string(APPEND LIBINDEX_PC_EXTRA_LIBS " -lopenvdb")
  string(APPEND LIBINDEX_PC_EXTRA_REQUIRES " Imath blosc") # what libopenvdb's headers inline
elseif(LIBINDEX_NANOVDB_BLOSC)
  string(APPEND LIBINDEX_PC_EXTRA_REQUIRES " blosc") # io reads Blosc-compressed NanoVDB files
endif()
if(LIBINDEX_WITH_MOVIE)
  string(APPEND LIBINDEX_PC_EXTRA_REQUIRES " libavcodec libavformat libavutil libswscale") # io's movie_writer
endif()
if(LIBINDEX_WITH_CUDA)
  # The CUDA runtime, statically (as the library links it): only the driver is needed at run time.
  string(APPEND LIBINDEX_PC_EXTRA_LIBS " -L${CUDAToolkit_LIBRARY_DIR} -lcudart_static -ldl -lrt -lpthread")
endif()
# Relocatable: the prefix is found from the .pc file's own folder (cmake --install --prefix works).
file(RELATIVE_PATH LIBINDEX_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${PROJECT_SOURCE_DIR}/cmake/libindex.pc.in ${CMAKE_BINARY_DIR}/libindex.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/libindex.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
