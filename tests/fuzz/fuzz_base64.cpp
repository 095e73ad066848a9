// Base64 bodies of Function URL events (isBase64Encoded). The decoder is strict, so every accepted
// text is the one canonical encoding of what it decodes to; and every byte string survives a round trip.
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapter/base64.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tsproxy::fuzz::require;
  namespace lambda = tsproxy::lambda;
  const auto bytes = tsproxy::fuzz::as_text(data, size);

  std::string decoded;
  if (lambda::base64_decode(bytes, decoded))
    require(lambda::base64_encode(decoded) == bytes, "an accepted text is not the canonical encoding");

  const auto encoded = lambda::base64_encode(bytes);
  require(encoded.size() == lambda::base64_encoded_size(bytes.size()), "the encoding has the wrong size");
  std::string round_trip;
  require(lambda::base64_decode(encoded, round_trip) && round_trip == bytes, "the round trip lost bytes");
  return 0;
}
