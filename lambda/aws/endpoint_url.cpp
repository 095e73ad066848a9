#include "aws/endpoint_url.hpp"

#include <charconv>

namespace tsproxy::aws {

namespace {

bool host_byte_ok(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

bool ipv6_byte_ok(char c) noexcept {
  return (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9') || c == ':' || c == '.';
}

}  // namespace

std::optional<endpoint_url> parse_endpoint_url(std::string_view url) {
  endpoint_url out;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    out.tls = false;
    out.port = 80;
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (url.find_first_of("?#@") != std::string_view::npos) return std::nullopt;
  const auto slash = url.find('/');
  auto authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (out.path.find_first_of(" \t\r\n") != std::string::npos) return std::nullopt;

  std::string_view host;
  std::string_view port;
  bool bracketed = false;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
    bracketed = true;
    for (const char c : host) {
      if (!ipv6_byte_ok(c)) return std::nullopt;
    }
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (const char c : host) {
      if (!host_byte_ok(c)) return std::nullopt;
    }
  }
  if (host.empty()) return std::nullopt;
  out.host = std::string(host);
  if (!port.empty() || authority.ends_with(':')) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
      return std::nullopt;
    out.port = static_cast<std::uint16_t>(value);
  }
  out.host_header = bracketed ? "[" + out.host + "]" : out.host;
  if (out.port != (out.tls ? 443 : 80)) out.host_header += ":" + std::to_string(out.port);
  return out;
}

std::string regional_endpoint(std::string_view service, std::string_view region) {
  return "https://" + std::string(service) + "." + std::string(region) + ".amazonaws.com";
}

}  // namespace tsproxy::aws
