# Assembles the Tailscale extension layer zip (cmake -P; the tailscale-layer target runs it):
#
#   extensions/tsproxy-tailscale   the extension (Lambda starts every file in /opt/extensions)
#   bin/tailscale                  from the official static release tarball
#   bin/tailscaled                 (the extension finds them in /opt/bin, next to /opt/extensions)
#
# into OUT_DIR/tsproxy-tailscale-layer-ARCH.zip with toolchain/deterministic-zip, so the same inputs give
# the same bytes. Inputs: EXTENSION (the executable), TARBALL (tailscale_<version>_<amd64|arm64>.tgz, may
# be empty), ARCH (x86_64 or arm64), OUT_DIR, ZIP_TOOL, PYTHON. Every executable must be a Linux ELF
# file for ARCH. Without a tarball nothing is zipped and the message says what is missing.
cmake_minimum_required(VERSION 3.25)

foreach(var EXTENSION ARCH OUT_DIR ZIP_TOOL PYTHON)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "package_layer.cmake: ${var} is not set")
  endif()
endforeach()
if(ARCH STREQUAL "x86_64")
  set(goarch amd64)
  set(elf_machine "3e00")  # EM_X86_64, little-endian
elseif(ARCH STREQUAL "arm64")
  set(goarch arm64)
  set(elf_machine "b700")  # EM_AARCH64
else()
  message(FATAL_ERROR "package_layer.cmake: ARCH must be x86_64 or arm64, not '${ARCH}'")
endif()
set(zip "${OUT_DIR}/tsproxy-tailscale-layer-${ARCH}.zip")

# A Linux executable for ARCH: ELF magic, 64-bit, and the machine field at offset 18.
function(check_elf path what)
  file(READ "${path}" header LIMIT 20 HEX)
  string(SUBSTRING "${header}" 0 10 magic)
  if(NOT magic STREQUAL "7f454c4602")
    message(FATAL_ERROR "tailscale-layer: ${what} (${path}) is not a 64-bit Linux executable")
  endif()
  string(SUBSTRING "${header}" 36 4 machine)
  if(NOT machine STREQUAL elf_machine)
    message(FATAL_ERROR "tailscale-layer: ${what} (${path}) is not built for ${ARCH}")
  endif()
endfunction()

check_elf("${EXTENSION}" "the extension")

if("${TARBALL}" STREQUAL "")
  # The default release is the first one toolchain/tailscale-pins lists.
  file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../../toolchain/tailscale-pins" pins REGEX "^[0-9]")
  list(GET pins 0 default_pin)
  string(REGEX MATCH "^[^ ]+" default_version "${default_pin}")
  message(WARNING
    "tailscale-layer: no Tailscale tarball, so no layer zip: only ${OUT_DIR}/tsproxy-tailscale-${ARCH} was built.\n"
    "Get the pinned release with\n"
    "    toolchain/fetch-tailscale ${default_version} ${ARCH}\n"
    "and configure with -DTSPROXY_TAILSCALE_TARBALL=/path/to/tailscale_${default_version}_${goarch}.tgz")
  return()
endif()
if(NOT EXISTS "${TARBALL}")
  message(FATAL_ERROR "tailscale-layer: TSPROXY_TAILSCALE_TARBALL=${TARBALL} does not exist")
endif()

set(work "${OUT_DIR}/tailscale-layer-${ARCH}")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}/extract" "${work}/layer/extensions" "${work}/layer/bin")
file(ARCHIVE_EXTRACT INPUT "${TARBALL}" DESTINATION "${work}/extract")
file(GLOB release_dirs LIST_DIRECTORIES true "${work}/extract/tailscale_*_*")
list(LENGTH release_dirs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "tailscale-layer: ${TARBALL} does not hold one tailscale_<version>_<arch>/ folder, as the official static releases do")
endif()
get_filename_component(release "${release_dirs}" NAME)
if(NOT release MATCHES "^tailscale_([0-9][0-9A-Za-z.+-]*)_([a-z0-9]+)$")
  message(FATAL_ERROR "tailscale-layer: unexpected folder ${release} in ${TARBALL}")
endif()
set(version "${CMAKE_MATCH_1}")
if(NOT CMAKE_MATCH_2 STREQUAL goarch)
  message(FATAL_ERROR "tailscale-layer: ${TARBALL} is the ${CMAKE_MATCH_2} release; the ${ARCH} layer needs ${goarch}")
endif()
foreach(binary tailscale tailscaled)
  set(path "${release_dirs}/${binary}")
  if(NOT EXISTS "${path}" OR IS_DIRECTORY "${path}")
    message(FATAL_ERROR "tailscale-layer: ${TARBALL} has no ${release}/${binary}")
  endif()
  check_elf("${path}" "${binary}")
endforeach()

set(executable_permissions OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
file(COPY_FILE "${EXTENSION}" "${work}/layer/extensions/tsproxy-tailscale")
file(COPY_FILE "${release_dirs}/tailscale" "${work}/layer/bin/tailscale")
file(COPY_FILE "${release_dirs}/tailscaled" "${work}/layer/bin/tailscaled")
foreach(file extensions/tsproxy-tailscale bin/tailscale bin/tailscaled)
  file(CHMOD "${work}/layer/${file}" PERMISSIONS ${executable_permissions})
endforeach()

execute_process(COMMAND "${PYTHON}" "${ZIP_TOOL}" "${zip}" "${work}/layer" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "tailscale-layer: deterministic-zip failed (${result})")
endif()
file(REMOVE_RECURSE "${work}")
message(STATUS "tailscale-layer: ${zip} (tailscale ${version}, ${ARCH})")
