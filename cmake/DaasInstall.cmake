# What `cmake --install` puts under the prefix (docs/install.md):
#   include/daas/*.h, *.hpp               the public headers (std and each other only)
#   lib/libdaas.so.0.1.0 (+ .so.0, .so)   the C API (daas.h), soname libdaas.so.<major>
#   lib/libdaas.a                         the whole engine: the C API and the C++ API (daas.hpp)
#   lib/cmake/daas/                       find_package(daas): daas::daas, daas::daas_static,
#                                         daas::daas_shared
#   lib/pkgconfig/daas.pc                 pkg-config: libdaas.so; Libs.private for libdaas.a
#   bin/daas                              the command (DAAS_BUILD_CLI)
include(CMakePackageConfigHelpers)

set(daas_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/daas)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/daas DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(TARGETS daas_shared daas_static daas_default EXPORT daasTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(TARGET daas)
  install(TARGETS daas RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT daasTargets NAMESPACE daas:: DESTINATION ${daas_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/daasConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/daasConfig.cmake
                              INSTALL_DESTINATION ${daas_cmake_dir})
# 0.x: a new minor version may change the C++ API, so only the same minor version is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/daasConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/daasConfig.cmake ${PROJECT_BINARY_DIR}/daasConfigVersion.cmake
        DESTINATION ${daas_cmake_dir})

# daas.pc finds the prefix from its own place (${pcfiledir}), so it stays right when the prefix is
# chosen at install time (cmake --install --prefix) or the tree is moved (DESTDIR, packages).
if(IS_ABSOLUTE ${CMAKE_INSTALL_LIBDIR})
  set(DAAS_PC_PREFIX ${CMAKE_INSTALL_PREFIX})
  set(DAAS_PC_LIBDIR ${CMAKE_INSTALL_LIBDIR})
else()
  file(RELATIVE_PATH pc_to_prefix /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
  set(DAAS_PC_PREFIX "\${pcfiledir}/${pc_to_prefix}")
  set(DAAS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE ${CMAKE_INSTALL_INCLUDEDIR})
  set(DAAS_PC_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
else()
  set(DAAS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/daas.pc.in ${PROJECT_BINARY_DIR}/daas.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/daas.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
