# Fails unless every package says the project's version (-DVERSION, from CMakeLists.txt's project()):
# the npm package and its lock file, the caller client's PyPI package, and the changelog's latest entry.
#   cmake -DVERSION=X.Y.Z -DROOT=<source dir> -P tests/versions_agree.cmake

function(expect_version file regex)
  file(READ "${ROOT}/${file}" text)
  string(REGEX MATCH "${regex}" found "${text}")
  if(NOT found)
    message(SEND_ERROR "${file}: no version found (looked for ${regex})")
  elseif(NOT CMAKE_MATCH_1 STREQUAL VERSION)
    message(SEND_ERROR "${file} says ${CMAKE_MATCH_1}, the project ${VERSION}")
  endif()
endfunction()

# The package's own "version" (the first at the top level of package.json, after "name").
expect_version(lambda/cdk/package.json "\"name\": \"tsproxy-cdk\",[ \n]*\"version\": \"([^\"]+)\"")
expect_version(lambda/cdk/package-lock.json "\"name\": \"tsproxy-cdk\",[ \n]*\"version\": \"([^\"]+)\"")
expect_version(lambda/cdk/python-client/pyproject.toml "\nversion = \"([^\"]+)\"")
expect_version(CHANGELOG.md "\n## ([0-9][^ \n]*)")
message(STATUS "every package says ${VERSION}")
