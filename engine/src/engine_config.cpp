#include "tsproxy/engine/engine_config.hpp"

#include <charconv>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy {

bool parse_bool(std::string_view text, bool& out) {
  if (iequals(text, "1") || iequals(text, "true") || iequals(text, "yes") || iequals(text, "on")) {
    out = true;
    return true;
  }
  if (iequals(text, "0") || iequals(text, "false") || iequals(text, "no") || iequals(text, "off")) {
    out = false;
    return true;
  }
  return false;
}

bool parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

bool parse_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  std::string_view h;
  std::string_view p;
  if (text.starts_with('[')) {  // [v6]:port
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  std::uint64_t value = 0;
  if (h.empty() || !parse_uint(p, 1, 65535, value)) return false;
  host.assign(h);
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace tsproxy
