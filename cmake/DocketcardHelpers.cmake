# docketcard_area(NAME DEPS...): one static library per concept under lib/src/NAME,
# so an area that does not compile never blocks the build of the others.
function(docketcard_area name)
  file(GLOB_RECURSE _srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/${name}/*.cpp)
  add_library(docketcard_${name} STATIC ${_srcs})
  add_library(docketcard::${name} ALIAS docketcard_${name})
  target_include_directories(docketcard_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:include>)
  target_link_libraries(docketcard_${name} PUBLIC ${ARGN} PRIVATE docketcard_warnings)
endfunction()

# docketcard_unit_test(NAME SOURCES... LIBS ...): a Catch2 v2 executable registered with CTest.
function(docketcard_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  # Catch2's main is the slowest file to compile: build it once for every test executable.
  if(NOT TARGET docketcard_catch_main)
    add_library(docketcard_catch_main OBJECT ${CMAKE_SOURCE_DIR}/tests/unit/catch_main.cpp)
    target_link_libraries(docketcard_catch_main PUBLIC Catch2::Catch2)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE docketcard_catch_main Catch2::Catch2 docketcard_warnings ${T_LIBS})
  target_compile_definitions(${name} PRIVATE
    DOCKETCARD_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()
