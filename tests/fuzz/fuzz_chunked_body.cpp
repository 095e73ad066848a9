// Chunked bodies: the input follows a fixed head that announces them, so every execution exercises
// the chunk decoder (sizes, extensions, data ends, the last chunk and trailers) against both oracles.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "response_differential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  bytes.append(reinterpret_cast<const char*>(data), size);
  tsproxy::fuzz::check_response_framing(bytes);
  return 0;
}
