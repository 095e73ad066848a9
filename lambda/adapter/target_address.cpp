#include "adapter/target_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::lambda {

namespace {

constexpr bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool parse_ip(std::string_view text, ip_address& out) noexcept {
  char buf[INET6_ADDRSTRLEN];
  // inet_pton reads up to a NUL: "100.64.0.1\0junk" must not pass as 100.64.0.1.
  if (text.empty() || text.size() >= sizeof buf || text.find('\0') != std::string_view::npos) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  out = {};
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) return true;
  if (inet_pton(AF_INET6, buf, out.bytes.data()) != 1) return false;
  if (std::memcmp(out.bytes.data(), v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::memset(out.bytes.data() + 4, 0, 12);
    return true;
  }
  out.is_v6 = true;
  return true;
}

std::string format_ip(const ip_address& ip) {
  if (!ip.is_v6) {
    // Dotted decimal written directly: inet_ntop formats IPv4 through sprintf, on every invocation.
    std::string out;
    out.reserve(15);
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) out.push_back('.');
      char digits[3];
      const auto end = std::to_chars(digits, digits + sizeof digits, ip.bytes[i]).ptr;
      out.append(digits, end);
    }
    return out;
  }
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string_view strip_brackets(std::string_view s) noexcept {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

bool normalize_dns_name(std::string_view s, std::string& out) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  std::size_t label_size = 0;
  char previous = '.';
  for (const char c : s) {
    if (c == '.') {
      if (label_size == 0 || previous == '-') return false;
      label_size = 0;
    } else if (is_alnum(c) || c == '-') {
      if (label_size == 0 && c == '-') return false;
      if (++label_size > 63) return false;
    } else {
      return false;
    }
    previous = c;
  }
  if (previous == '-' || previous == '.') return false;  // "a.ts.net.." ends in an empty label
  out.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = ascii_lower(s[i]);
  return true;
}

bool parse_port(std::string_view s, std::uint16_t& port) noexcept {
  if (s.empty() || s.size() > 5) return false;
  std::uint32_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                    int bits) noexcept {
  const auto whole = static_cast<std::size_t>(bits / 8);
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

void clear_host_bits(std::array<std::uint8_t, 16>& address, int bits) noexcept {
  for (int i = 0; i < 128; ++i) {
    if (i >= bits) address[static_cast<std::size_t>(i / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
  }
}

namespace {

constexpr address_block v4_block(std::uint8_t a, std::uint8_t b, int bits) {
  address_block block;
  block.address[0] = a;
  block.address[1] = b;
  block.bits = bits;
  return block;
}

constexpr address_block v6_block(std::uint8_t first, std::uint8_t second, std::uint8_t last, int bits) {
  address_block block;
  block.is_v6 = true;
  block.address[0] = first;
  block.address[1] = second;
  block.address[15] = last;
  block.bits = bits;
  return block;
}

constexpr address_block sandbox_blocks[] = {
    v4_block(127, 0, 8),          // loopback: the Runtime API, tailscaled's own listeners
    v4_block(169, 254, 16),       // link-local: instance metadata and the like
    v4_block(0, 0, 8),            // "this network": 0.0.0.0 reaches loopback on Linux
    v6_block(0, 0, 1, 128),       // ::1
    v6_block(0, 0, 0, 128),       // ::
    v6_block(0xfe, 0x80, 0, 10),  // fe80::/10
};

}  // namespace

bool block_within(const address_block& inner, const address_block& outer) noexcept {
  return inner.is_v6 == outer.is_v6 && inner.bits >= outer.bits &&
         prefix_matches(inner.address, outer.address, outer.bits);
}

bool is_sandbox_block(const address_block& block) noexcept {
  for (const auto& sandbox : sandbox_blocks) {
    if (block_within(block, sandbox)) return true;
  }
  return false;
}

bool is_sandbox_host(std::string_view host) noexcept {
  ip_address ip;
  if (parse_ip(strip_brackets(host), ip)) return is_sandbox_block({ip.is_v6, ip.bytes, ip.is_v6 ? 128 : 32});
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  constexpr std::string_view local = "localhost";
  return iequals(host, local) || (host.size() > local.size() && host[host.size() - local.size() - 1] == '.' &&
                                  iequals(host.substr(host.size() - local.size()), local));
}

bool canonical_host(std::string_view text, std::string& out) {
  ip_address ip;
  if (parse_ip(strip_brackets(text), ip)) {
    out = format_ip(ip);
    return true;
  }
  return normalize_dns_name(text, out);
}

std::string quoted(std::string_view value) {
  constexpr std::size_t max_quoted = 100;
  std::string out = "'";
  for (const char ch : value.substr(0, max_quoted)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != 0x7f) {
      out.push_back(ch);
      continue;
    }
    static constexpr char hex[] =
        "0123456789abcdef";  // a control byte, written so the message stays one line
    out.append("\\x").push_back(hex[c >> 4]);
    out.push_back(hex[c & 0xf]);
  }
  if (value.size() > max_quoted) out.append("...");
  out.push_back('\'');
  return out;
}

}  // namespace tsproxy::lambda
