# One static library per src/ folder (STYLE.md §2). A module compiles against a generated include
# directory holding links to itself and to the modules it depends on (transitively) and nothing else,
# so an include that points up the layer stack fails to compile instead of silently coupling layers.

# daas_module(NAME SOURCES ... [DEPS module ...] [LIBS target ...])
function(daas_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;LIBS" ${ARGN})
  set(layers ${name})
  foreach(dep IN LISTS M_DEPS)
    get_property(dep_layers GLOBAL PROPERTY DAAS_LAYERS_${dep})
    if(NOT dep_layers)
      message(FATAL_ERROR "module ${name} depends on ${dep}, which is not defined yet (layers point down)")
    endif()
    list(APPEND layers ${dep_layers})
  endforeach()
  list(REMOVE_DUPLICATES layers)
  set_property(GLOBAL PROPERTY DAAS_LAYERS_${name} ${layers})
  # The third-party libraries it links, for the combined libdaas.a (src/capi/CMakeLists.txt).
  set_property(GLOBAL PROPERTY DAAS_LIBS_${name} ${M_LIBS})

  # At the top of the build tree even when DaaS is a subproject, so that a module's compile command
  # is the same relative to the build directory either way and a compiler cache (ccache with
  # base_dir) serves one build from the other (tests/install/install_test.sh relies on it).
  set(dir ${CMAKE_BINARY_DIR}/layers/${name})
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir})
  foreach(layer IN LISTS layers)
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${layer} ${dir}/${layer} SYMBOLIC)
  endforeach()

  add_library(daas_${name} STATIC ${M_SOURCES})
  target_include_directories(daas_${name} PRIVATE ${dir} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  set(dep_targets)
  foreach(dep IN LISTS M_DEPS)
    list(APPEND dep_targets daas_${dep})
  endforeach()
  target_link_libraries(daas_${name} PUBLIC ${dep_targets} ${M_LIBS})
endfunction()

# daas_use_layers(TARGET MODULE): lets a test, tool or executable include what MODULE may include.
function(daas_use_layers target module)
  target_include_directories(${target} PRIVATE ${CMAKE_BINARY_DIR}/layers/${module})
  target_link_libraries(${target} PRIVATE daas_${module})
endfunction()

# daas_test(NAME MODULE SOURCES ...): a GoogleTest binary beside its sources, registered with ctest.
function(daas_test name module)
  add_executable(${name} ${ARGN})
  daas_use_layers(${name} ${module})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()
