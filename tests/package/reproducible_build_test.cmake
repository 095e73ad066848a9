# Builds PRESET's function zip a second time in SECOND_TREE (another folder, no tests, no tools, no compiler
# cache) and fails unless its bytes equal FIRST_ZIP's.
foreach(var SOURCE_DIR PRESET SECOND_TREE FIRST_ZIP ZIP_NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "reproducible_build_test: ${var} is not set")
  endif()
endforeach()
if(NOT EXISTS "${FIRST_ZIP}")
  message(FATAL_ERROR "${FIRST_ZIP} does not exist: build it first (cmake --build --preset ${PRESET})")
endif()

file(REMOVE_RECURSE "${SECOND_TREE}")
set(ENV{CMAKE_CXX_COMPILER_LAUNCHER} "")
execute_process(
  COMMAND "${CMAKE_COMMAND}" --preset "${PRESET}" -B "${SECOND_TREE}" -DTSPROXY_BUILD_TESTS=OFF
          -DTSPROXY_BUILD_TOOLS=OFF
  WORKING_DIRECTORY "${SOURCE_DIR}" RESULT_VARIABLE configured OUTPUT_QUIET)
if(NOT configured EQUAL 0)
  message(FATAL_ERROR "configuring ${PRESET} in ${SECOND_TREE} failed")
endif()
execute_process(COMMAND "${CMAKE_COMMAND}" --build "${SECOND_TREE}" --target function-zip
                RESULT_VARIABLE built OUTPUT_QUIET)
if(NOT built EQUAL 0)
  message(FATAL_ERROR "building function-zip in ${SECOND_TREE} failed")
endif()

file(SHA256 "${FIRST_ZIP}" first)
file(SHA256 "${SECOND_TREE}/dist/${ZIP_NAME}" second)
message(STATUS "${ZIP_NAME}: first build ${first}, second build ${second}")
if(NOT first STREQUAL second)
  message(FATAL_ERROR "${ZIP_NAME} differs between two builds of the same sources")
endif()
file(REMOVE_RECURSE "${SECOND_TREE}")
