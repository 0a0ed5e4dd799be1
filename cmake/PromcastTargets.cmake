# promcast_module(NAME [DEPS ...]): a static library from every .cc in the folder.
# Globbing keeps modules independent: adding a file never touches a shared list.
function(promcast_module name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc ${CMAKE_CURRENT_SOURCE_DIR}/*/*.cc)
  if(sources)
    add_library(promcast_${name} STATIC ${sources})
    set(scope PUBLIC)
  else()
    add_library(promcast_${name} INTERFACE)  # a module with headers only (so far)
    set(scope INTERFACE)
  endif()
  add_library(promcast::${name} ALIAS promcast_${name})
  target_include_directories(promcast_${name} ${scope} ${PROJECT_SOURCE_DIR})
  target_link_libraries(promcast_${name} ${scope} ${ARG_DEPS})
endfunction()

# promcast_tests(MODULE DEPS ...): one test binary per *_test.cc in the folder, registered with ctest.
function(promcast_tests dir)
  cmake_parse_arguments(ARG "" "" "DEPS;LABELS" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  foreach(src ${tests})
    get_filename_component(base ${src} NAME_WE)
    set(target ${dir}_${base})
    add_executable(${target} ${src})
    target_link_libraries(${target} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
    target_compile_definitions(${target} PRIVATE
      PROMCAST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      PROMCAST_BINARY_DIR="${PROJECT_BINARY_DIR}"
      PROMCAST_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data")
    add_test(NAME ${dir}.${base} COMMAND ${target})
    set_tests_properties(${dir}.${base} PROPERTIES TIMEOUT 600 LABELS "${dir};${ARG_LABELS}")
  endforeach()
endfunction()
