# install.cmake - what `cmake --install` (and `make install`) puts under the
# prefix: the program, both libraries, the header, the pkg-config file, a CMake
# package (find_package(Parley) -> Parley::parley, Parley::parley_static) and
# the man page parley(1) made from `parley --help` at build time.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The targets carry the source tree's include directory; an exported target
# must name the installed one instead (CMake refuses a source-tree path in an
# export), so the build and install interfaces are told apart here.
set_target_properties(parley_shared parley_static PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "$<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include>")
# Consumers see Parley::parley (the shared library, libcrypto hidden behind
# it) and Parley::parley_static (which needs libcrypto, Threads and the
# compression libraries at link time: ParleyConfig.cmake finds them).
set_target_properties(parley_shared PROPERTIES EXPORT_NAME parley)
set_target_properties(parley_static PROPERTIES EXPORT_NAME parley_static)

# The .pc file locates the prefix relative to itself, so `cmake --install --prefix X` works.
file(RELATIVE_PATH PARLEY_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
configure_file(${CMAKE_SOURCE_DIR}/parley.pc.in ${CMAKE_BINARY_DIR}/parley.pc @ONLY)

install(TARGETS parley RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS parley_static parley_shared EXPORT ParleyTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/parley/parley.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/parley)
install(FILES ${CMAKE_BINARY_DIR}/parley.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The CMake package. Its files find the prefix relative to themselves
# (configure_package_config_file), like the .pc file.
set(PARLEY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Parley)
install(EXPORT ParleyTargets NAMESPACE Parley:: FILE ParleyTargets.cmake DESTINATION ${PARLEY_CMAKE_DIR})
# What the static library's link interface names besides libcrypto and Threads
# (PkgConfig::PL_ZLIB ...): the config file makes those targets again.
set(PARLEY_PC_MODULES_ZLIB "")
set(PARLEY_PC_MODULES_BROTLI "")
set(PARLEY_PC_MODULES_ZSTD "")
if(PL_ZLIB_FOUND)
  set(PARLEY_PC_MODULES_ZLIB "zlib")
endif()
if(PL_BROTLI_FOUND)
  set(PARLEY_PC_MODULES_BROTLI "libbrotlienc;libbrotlidec")
endif()
if(PL_ZSTD_FOUND)
  set(PARLEY_PC_MODULES_ZSTD "libzstd")
endif()
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/ParleyConfig.cmake.in
  ${CMAKE_BINARY_DIR}/ParleyConfig.cmake INSTALL_DESTINATION ${PARLEY_CMAKE_DIR})
# 0.x: a minor version may break the API (semver 4), so only the same
# major.minor satisfies a request; from 1.0 on SameMajorVersion would do.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/ParleyConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/ParleyConfig.cmake ${CMAKE_BINARY_DIR}/ParleyConfigVersion.cmake
        DESTINATION ${PARLEY_CMAKE_DIR})

# parley(1): the text of `parley --help` turned into groff -man by
# scripts/help2man.py, so the page and --help cannot drift apart. Made at build
# time from the built program (a cross build would need an emulator: not done).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/parley.1
    COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/scripts/help2man.py
            --program $<TARGET_FILE:parley> -o ${CMAKE_BINARY_DIR}/parley.1
    DEPENDS parley ${CMAKE_SOURCE_DIR}/scripts/help2man.py
    COMMENT "parley.1 from parley --help" VERBATIM)
  add_custom_target(parley_man ALL DEPENDS ${CMAKE_BINARY_DIR}/parley.1)
  install(FILES ${CMAKE_BINARY_DIR}/parley.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "python3 not found: the man page parley(1) is not built")
endif()
