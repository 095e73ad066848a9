# Fails unless the project and every package say -DVERSION (the project's own in ctest, a tag's in a release):
# the npm package and its lock file, the caller client's PyPI package, and the changelog's latest entry.
# With -DRELEASE=ON (the release workflow) it also fails while the repository metadata, which lives only in
# lambda/cdk/package.json (jsii carries it into the Python package), is still the reserved placeholder.
#   cmake -DVERSION=X.Y.Z -DROOT=<source dir> [-DRELEASE=ON] -P tests/versions_agree.cmake

function(expect_version file regex)
  file(READ "${ROOT}/${file}" text)
  string(REGEX MATCH "${regex}" found "${text}")
  if(NOT found)
    message(SEND_ERROR "${file}: no version found (looked for ${regex})")
  elseif(NOT CMAKE_MATCH_1 STREQUAL VERSION)
    message(SEND_ERROR "${file} says ${CMAKE_MATCH_1}, expected ${VERSION}")
  endif()
endfunction()

# The package's own "version" (the first at the top level of package.json, after "name").
# The project itself: a release tag (-DVERSION from the tag) must name the version the sources carry.
expect_version(CMakeLists.txt "project\\(tsproxy VERSION ([0-9][^ )]*)")
expect_version(lambda/cdk/package.json "\"name\": \"tsproxy-cdk\",[ \n]*\"version\": \"([^\"]+)\"")
expect_version(lambda/cdk/package-lock.json "\"name\": \"tsproxy-cdk\",[ \n]*\"version\": \"([^\"]+)\"")
expect_version(lambda/cdk/python-client/pyproject.toml "\nversion = \"([^\"]+)\"")
expect_version(CHANGELOG.md "\n## ([0-9][^ \n]*)")
message(STATUS "every package says ${VERSION}")

if(RELEASE)
  file(READ "${ROOT}/lambda/cdk/package.json" package)
  string(JSON repository ERROR_VARIABLE no_repository GET "${package}" repository url)
  if(no_repository OR repository MATCHES "\\.invalid[/:]")
    message(SEND_ERROR "lambda/cdk/package.json: set repository.url to the project's repository before a release "
                       "(it is '${repository}')")
  endif()
endif()
