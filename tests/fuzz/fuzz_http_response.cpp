// Responses as upstreams send them: tsproxy's parser against libhttp-parser and Boost.Beast.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "response_differential.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tsproxy::fuzz::check_response_framing({reinterpret_cast<const char*>(data), size});
  return 0;
}
