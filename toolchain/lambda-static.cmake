# Shared by the Lambda toolchain files: every executable fully static (glibc, libstdc++, OpenSSL, liburing;
# simdjson is compiled in from source), sections split so the linker can drop what nothing calls, stripped.
# Lambda's provided.al2023 has glibc 2.34 and Debian 12 links against 2.36 symbols, so a dynamic build would
# not start there; a static one carries its C library along and needs nothing from the image.
#
# Link-time optimisation and -O2 are set by the lambda-* presets (CMAKE_INTERPROCEDURAL_OPTIMIZATION,
# CMAKE_CXX_FLAGS_RELEASE) so that this file stays about the platform.

set(OPENSSL_USE_STATIC_LIBS TRUE)
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)

set(CMAKE_C_FLAGS_INIT "-ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "-ffunction-sections -fdata-sections")
# --gc-sections drops unreferenced sections; -s strips the symbol table. The runtime never resolves a name
# through glibc (the Runtime API and SOCKS5 addresses are numeric or `localhost`), so glibc's warnings about
# NSS in static programs must not appear: tests/package checks the link has no getaddrinfo.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -Wl,--gc-sections -s")

# Tools that only run at build time on this machine (none today) would need the host compiler; the tests
# built in a Lambda tree are Lambda executables too and run through CMAKE_CROSSCOMPILING_EMULATOR when the
# architecture differs.
