#pragma once
// Base64 (RFC 4648 section 4, standard alphabet, '=' padding) for Lambda bodies: Function URL events carry
// binary request bodies base64-encoded, and buffered responses must carry binary bodies the same way.

#include <cstddef>
#include <string>
#include <string_view>

namespace tsproxy::lambda {

// Exact length of the padded encoding of `byte_count` bytes.
constexpr std::size_t base64_encoded_size(std::size_t byte_count) noexcept {
  return (byte_count + 2) / 3 * 4;
}

// Returns the padded encoding of `bytes`.
std::string base64_encode(std::string_view bytes);

// Appends the padded encoding of `bytes` to `out` (grows `out` once, by base64_encoded_size()).
void base64_encode_append(std::string& out, std::string_view bytes);

// Encodes a body that arrives in pieces, as base64_encode_append would encode the pieces joined: each
// piece's whole 3-byte groups are encoded at once, and the 0-2 bytes left over wait for the next piece.
class base64_piecewise_encoder {
 public:
  // Appends the encoding of what `piece` completes.
  void append(std::string& out, std::string_view piece);
  // Appends the padded encoding of the bytes left over; the encoder is then empty again.
  void finish(std::string& out);

 private:
  char group_[3] = {};  // the bytes of an unfinished 3-byte group
  std::size_t carried_ = 0;
};

// Strict decoder: `in` must be canonical padded base64 — length a multiple of 4, only the standard alphabet,
// '=' only as one or two trailing pad characters, and the unused bits before the padding zero (so every byte
// string has exactly one accepted encoding). No whitespace, no URL-safe alphabet.
// On success replaces the contents of `out` with the decoded bytes and returns true; on bad input returns
// false and leaves `out` unspecified.
bool base64_decode(std::string_view in, std::string& out);

}  // namespace tsproxy::lambda
