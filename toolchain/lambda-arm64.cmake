# Toolchain for Lambda on Graviton (arm64, provided.al2023): Debian's aarch64 cross compiler and the arm64
# multiarch libraries (libssl-dev:arm64, liburing-dev:arm64, libgtest-dev:arm64; toolchain/install-deps
# adds them), fully static executables that qemu-aarch64-static runs here.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# With the library architecture set, find_library and find_package look in /usr/lib/aarch64-linux-gnu
# (and arch-independent /usr/lib, /usr/share), never in the host's /usr/lib/x86_64-linux-gnu; the cross
# compiler searches /usr/include/aarch64-linux-gnu before the shared /usr/include on its own.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "")
set(OPENSSL_ROOT_DIR /usr)
set(OPENSSL_CRYPTO_LIBRARY /usr/lib/aarch64-linux-gnu/libcrypto.a)
set(OPENSSL_SSL_LIBRARY /usr/lib/aarch64-linux-gnu/libssl.a)

# Test executables and gtest's discovery run under qemu-user (qemu-user-static).
find_program(TSPROXY_QEMU_AARCH64 qemu-aarch64-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${TSPROXY_QEMU_AARCH64}")

set(TSPROXY_LAMBDA_ARCH arm64 CACHE STRING "Lambda architecture name of this build (x86_64 or arm64)")
include("${CMAKE_CURRENT_LIST_DIR}/lambda-static.cmake")
