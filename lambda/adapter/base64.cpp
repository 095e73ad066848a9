#include "adapter/base64.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace tsproxy::lambda {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Four lookup tables, one per position in a quad, each holding the character's 6 bits already shifted into
// place; an invalid character sets bit 24. A quad then decodes with four loads and three ORs, and one test
// of bit 24 over the OR of all quads rejects bad input without a branch per character.
constexpr std::uint32_t invalid_bit = 0x01000000;

struct decode_tables {
  std::array<std::uint32_t, 256> at[4];
};

constexpr decode_tables make_decode_tables() {
  decode_tables t{};
  for (auto& table : t.at) table.fill(invalid_bit);
  for (std::uint32_t v = 0; v < 64; ++v) {
    const auto c = static_cast<unsigned char>(alphabet[v]);
    t.at[0][c] = v << 18;
    t.at[1][c] = v << 12;
    t.at[2][c] = v << 6;
    t.at[3][c] = v;
  }
  return t;
}

constexpr decode_tables tables = make_decode_tables();

// The two characters of every 12-bit value: a 3-byte group encodes with two lookups instead of four.
constexpr std::array<std::array<char, 2>, 4096> make_pair_table() {
  std::array<std::array<char, 2>, 4096> t{};
  for (std::size_t v = 0; v < t.size(); ++v) t[v] = {alphabet[v >> 6], alphabet[v & 63]};
  return t;
}

constexpr auto pairs = make_pair_table();

inline std::uint32_t decode_quad(const unsigned char* p) noexcept {
  return tables.at[0][p[0]] | tables.at[1][p[1]] | tables.at[2][p[2]] | tables.at[3][p[3]];
}

}  // namespace

void base64_encode_append(std::string& out, std::string_view bytes) {
  const std::size_t old_size = out.size();
  out.resize(old_size + base64_encoded_size(bytes.size()));
  char* dst = out.data() + old_size;
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t remaining = bytes.size();
  for (; remaining >= 3; remaining -= 3, src += 3, dst += 4) {
    const std::uint32_t v = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8) | src[2];
    std::memcpy(dst, pairs[v >> 12].data(), 2);
    std::memcpy(dst + 2, pairs[v & 4095].data(), 2);
  }
  if (remaining == 1) {
    const std::uint32_t v = std::uint32_t{src[0]} << 16;
    dst[0] = alphabet[v >> 18];
    dst[1] = alphabet[(v >> 12) & 63];
    dst[2] = '=';
    dst[3] = '=';
  } else if (remaining == 2) {
    const std::uint32_t v = (std::uint32_t{src[0]} << 16) | (std::uint32_t{src[1]} << 8);
    dst[0] = alphabet[v >> 18];
    dst[1] = alphabet[(v >> 12) & 63];
    dst[2] = alphabet[(v >> 6) & 63];
    dst[3] = '=';
  }
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  base64_encode_append(out, bytes);
  return out;
}

void base64_piecewise_encoder::append(std::string& out, std::string_view piece) {
  // First complete the group the previous pieces began.
  while (carried_ > 0 && carried_ < 3 && !piece.empty()) {
    group_[carried_++] = piece.front();
    piece.remove_prefix(1);
  }
  if (carried_ == 3) {
    base64_encode_append(out, {group_, 3});
    carried_ = 0;
  }
  if (carried_ > 0) return;  // the piece was too short to complete it
  const std::size_t whole = piece.size() - piece.size() % 3;
  base64_encode_append(out, piece.substr(0, whole));
  for (const char c : piece.substr(whole)) group_[carried_++] = c;
}

void base64_piecewise_encoder::finish(std::string& out) {
  base64_encode_append(out, {group_, carried_});
  carried_ = 0;
}

bool base64_decode(std::string_view in, std::string& out) {
  const std::size_t n = in.size();
  if (n % 4 != 0) return false;
  if (n == 0) {
    out.clear();
    return true;
  }
  std::size_t pad = 0;
  if (in[n - 1] == '=') pad = in[n - 2] == '=' ? 2 : 1;

  const std::size_t full_quads = n / 4 - (pad != 0 ? 1 : 0);
  out.resize(n / 4 * 3 - pad);
  const auto* src = reinterpret_cast<const unsigned char*>(in.data());
  auto* dst = reinterpret_cast<unsigned char*>(out.data());

  std::uint32_t seen = 0;  // OR of every decoded quad: bit 24 set iff some character was invalid
  for (std::size_t q = 0; q < full_quads; ++q, src += 4, dst += 3) {
    const std::uint32_t v = decode_quad(src);
    seen |= v;
    dst[0] = static_cast<unsigned char>(v >> 16);
    dst[1] = static_cast<unsigned char>(v >> 8);
    dst[2] = static_cast<unsigned char>(v);
  }
  if (pad == 1) {
    // "xyz=": 18 bits, the last 2 must be zero for the encoding to be canonical.
    const std::uint32_t v = tables.at[0][src[0]] | tables.at[1][src[1]] | tables.at[2][src[2]];
    if ((v & 0xFF) != 0) return false;
    seen |= v;
    dst[0] = static_cast<unsigned char>(v >> 16);
    dst[1] = static_cast<unsigned char>(v >> 8);
  } else if (pad == 2) {
    // "xy==": 12 bits, the last 4 must be zero.
    const std::uint32_t v = tables.at[0][src[0]] | tables.at[1][src[1]];
    if ((v & 0xFFFF) != 0) return false;
    seen |= v;
    dst[0] = static_cast<unsigned char>(v >> 16);
  }
  return (seen & invalid_bit) == 0;
}

}  // namespace tsproxy::lambda
