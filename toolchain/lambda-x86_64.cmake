# Toolchain for Lambda on x86_64 (provided.al2023): the host compiler, fully static executables.
set(TSPROXY_LAMBDA_ARCH x86_64 CACHE STRING "Lambda architecture name of this build (x86_64 or arm64)")
include("${CMAKE_CURRENT_LIST_DIR}/lambda-static.cmake")
