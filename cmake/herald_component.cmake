# herald_component(<name> DEPS <targets...>): the static library herald_<name> built from
# src/<name>/*.cpp. Components are separate libraries so that a broken file in one does not
# stop the others (and their unit tests) from building.
function(herald_component name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(NOT sources)
    set(sources ${PROJECT_SOURCE_DIR}/cmake/empty.cpp)
  endif()
  add_library(herald_${name} STATIC ${sources})
  target_include_directories(herald_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(herald_${name} PUBLIC ${ARG_DEPS} Boost::headers)
  target_compile_definitions(herald_${name} PUBLIC RAPIDJSON_HAS_STDSTRING=1)
endfunction()
