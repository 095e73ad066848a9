// Base64 bodies of Function URL events (isBase64Encoded). The decoder is strict, so every accepted
// text is the one canonical encoding of what it decodes to; and every byte string survives a round trip.
// Buffered bodies handed over while they arrive are encoded piece by piece: split where the input's own bytes
// say, the pieces encode to the whole's encoding.
#include <algorithm>
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

  lambda::base64_piecewise_encoder encoder;
  std::string piecewise;
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t piece =
        std::min<std::size_t>(static_cast<unsigned char>(bytes[at]) % 8, bytes.size() - at);
    encoder.append(piecewise, bytes.substr(at, piece));
    at += piece;
    if (piece == 0) {  // an empty piece, then one byte, so the split always moves on
      encoder.append(piecewise, bytes.substr(at, 1));
      ++at;
    }
  }
  encoder.finish(piecewise);
  require(piecewise == encoded, "the pieces' encoding differs from the whole's");
  return 0;
}
