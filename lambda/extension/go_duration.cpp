#include "extension/go_duration.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

namespace tsproxy::extension {

namespace {

constexpr std::int64_t ns_per_ms = 1'000'000;
constexpr std::int64_t max_ns = 24LL * 3600 * 1000 * ns_per_ms;  // a day
constexpr std::size_t max_digits = 18;                           // fits in an int64 with room to spare

// Units longest first, so that "ms" is not read as "m" followed by "s"; in nanoseconds.
constexpr std::array<std::pair<std::string_view, std::int64_t>, 8> units{
    {{"ns", 1},
     {"us", 1'000},
     {"\xc2\xb5s", 1'000},  // µs (micro sign)
     {"\xce\xbcs", 1'000},  // μs (Greek mu)
     {"ms", ns_per_ms},
     {"s", 1'000 * ns_per_ms},
     {"m", 60'000 * ns_per_ms},
     {"h", 3'600'000 * ns_per_ms}}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), is_digit)) {  // a bare number: milliseconds
    if (text.size() > 9) return std::nullopt;
    std::int64_t value = 0;
    for (char c : text) value = value * 10 + (c - '0');
    if (value * ns_per_ms > max_ns) return std::nullopt;
    return std::chrono::milliseconds(value);
  }
  std::int64_t total_ns = 0;
  while (!text.empty()) {
    // A number: digits, optionally a fraction; at least one digit on either side of the point. Integer
    // arithmetic, so that 0.7s is 700 ms exactly, as in Go.
    std::int64_t whole = 0;
    std::int64_t fraction = 0;
    std::int64_t scale = 1;  // 10^(digits of the fraction)
    std::size_t digits = 0;
    std::size_t i = 0;
    // Digits past max_digits are counted, not added: the number is refused below, before it overflows.
    for (; i < text.size() && is_digit(text[i]); ++i, ++digits)
      if (digits < max_digits) whole = whole * 10 + (text[i] - '0');
    if (i < text.size() && text[i] == '.') {
      for (++i; i < text.size() && is_digit(text[i]); ++i, ++digits) {
        if (digits >= max_digits) continue;
        fraction = fraction * 10 + (text[i] - '0');
        scale *= 10;
      }
    }
    if (digits == 0 || digits > max_digits) return std::nullopt;
    text.remove_prefix(i);
    const auto unit =
        std::find_if(units.begin(), units.end(), [&](const auto& u) { return text.starts_with(u.first); });
    if (unit == units.end()) return std::nullopt;
    text.remove_prefix(unit->first.size());
    if (whole > max_ns / unit->second) return std::nullopt;
    // fraction < scale <= 10^18 and unit <= 3.6e12: split the product so it cannot overflow.
    const std::int64_t part =
        (fraction / scale) * unit->second +
        static_cast<std::int64_t>(static_cast<long double>(fraction % scale) * unit->second / scale);
    total_ns += whole * unit->second + part;
    if (total_ns > max_ns) return std::nullopt;
  }
  return std::chrono::milliseconds(total_ns / ns_per_ms);
}

std::string format_go_duration(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + "ms";
}

}  // namespace tsproxy::extension
