#pragma once
// Bytes as one line of readable text for failure reports: CR, LF and other control or non-ASCII bytes
// escaped, clipped after `limit` bytes.

#include <cstddef>
#include <string>
#include <string_view>

namespace tsproxy::testing {

inline std::string printable(std::string_view s, std::size_t limit = 80) {
  std::string out;
  const bool clipped = s.size() > limit;
  s = s.substr(0, limit);
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
  if (clipped) out += "...";
  return out;
}

}  // namespace tsproxy::testing
