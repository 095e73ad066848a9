#include "adapter/json_writer.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace tsproxy::lambda {

namespace {

// For each byte: 0 when it is copied verbatim, else the character after the backslash ('u' for \u00XX).
constexpr std::array<char, 256> make_escape_table() {
  std::array<char, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = 'u';
  t['\b'] = 'b';
  t['\f'] = 'f';
  t['\n'] = 'n';
  t['\r'] = 'r';
  t['\t'] = 't';
  t['"'] = '"';
  t['\\'] = '\\';
  return t;
}
constexpr std::array<char, 256> escape_table = make_escape_table();

constexpr char hex_digits[] = "0123456789abcdef";

// SWAR test of 8 bytes at once: true when any byte is < 0x20, '"' or '\'. Text bodies are mostly runs that
// need no escaping, so skipping a word per step keeps the writer near memcpy speed. Both tricks are exact as
// "any byte" tests (Bit Twiddling Hacks: haszero, hasless with n <= 128).
inline bool word_needs_escape(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  constexpr std::uint64_t ones = 0x0101010101010101ULL;
  constexpr std::uint64_t highs = 0x8080808080808080ULL;
  const std::uint64_t below_space = (w - ones * 0x20) & ~w & highs;
  const std::uint64_t q = w ^ (ones * '"');
  const std::uint64_t b = w ^ (ones * '\\');
  const std::uint64_t quote = (q - ones) & ~q & highs;
  const std::uint64_t backslash = (b - ones) & ~b & highs;
  return (below_space | quote | backslash) != 0;
}

// Returns the first position at or after `p` that needs escaping, or `end`.
inline const char* skip_plain(const char* p, const char* end) noexcept {
  while (end - p >= 8 && !word_needs_escape(p)) p += 8;
  while (p < end && escape_table[static_cast<unsigned char>(*p)] == 0) ++p;
  return p;
}

inline void append_escape(std::string& out, unsigned char c, char kind) {
  if (kind == 'u') {
    const char seq[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
    out.append(seq, sizeof seq);
  } else {
    const char seq[2] = {'\\', kind};
    out.append(seq, sizeof seq);
  }
}

// Shared slow path for the lossy and lower-casing writers: one byte at a time, always valid JSON.
void append_bytewise(std::string& out, std::string_view s, bool lower) {
  out.push_back('"');
  for (const char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (lower && c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + ('a' - 'A'));
    if (c >= 0x80) {
      append_escape(out, c, 'u');
    } else if (const char kind = escape_table[c]; kind != 0) {
      append_escape(out, c, kind);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const char* stop = skip_plain(p, end);
    out.append(p, static_cast<std::size_t>(stop - p));
    if (stop == end) break;
    const auto c = static_cast<unsigned char>(*stop);
    append_escape(out, c, escape_table[c]);
    p = stop + 1;
  }
  out.push_back('"');
}

std::size_t json_string_size(std::string_view s) noexcept {
  std::size_t size = s.size() + 2;
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    p = skip_plain(p, end);
    if (p == end) break;
    size += escape_table[static_cast<unsigned char>(*p)] == 'u' ? 5 : 1;
    ++p;
  }
  return size;
}

void append_json_string_lossy(std::string& out, std::string_view s) {
  if (simdjson::validate_utf8(s.data(), s.size())) {
    append_json_string(out, s);
  } else {
    append_bytewise(out, s, false);
  }
}

void append_json_string_lower(std::string& out, std::string_view s) {
  append_bytewise(out, s, true);
}

void append_json_int(std::string& out, std::int64_t value) {
  char buf[24];
  const auto result = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, result.ptr);
}

void append_json_fixed(std::string& out, double value, int decimals) {
  if (!std::isfinite(value)) value = 0;
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::fixed, decimals);
  if (result.ec != std::errc{}) {
    // Only magnitudes beyond ~1e60 overflow the buffer; the general format always fits.
    result = std::to_chars(buf, buf + sizeof buf, value);
  }
  out.append(buf, result.ptr);
}

}  // namespace tsproxy::lambda
