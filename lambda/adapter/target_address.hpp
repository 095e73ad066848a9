#pragma once
// Target addresses as the caller names them: IP literals (IPv4-mapped IPv6 folded to IPv4, so an
// IPv4 rule cannot be sidestepped), DNS names in RFC 1123 host name syntax, ports, and CIDR prefix
// arithmetic. Shared by routing (ts-target-* headers) and the allow-list (TSPROXY_ALLOWED_TARGETS).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tsproxy::lambda {

struct ip_address {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
};

// Parses an IPv4 or IPv6 literal without brackets (inet_pton: dotted quad without leading zeros, RFC 4291
// text forms, no zone id). IPv4-mapped IPv6 is folded to IPv4.
bool parse_ip(std::string_view text, ip_address& out) noexcept;

// The canonical text form (inet_ntop).
std::string format_ip(const ip_address& ip);

// "[...]" without its brackets; anything else unchanged.
std::string_view strip_brackets(std::string_view s) noexcept;

// Validates a DNS name (RFC 1123 host name syntax) and writes it lower-cased, without the trailing dot.
bool normalize_dns_name(std::string_view s, std::string& out);

// Decimal digits only, 1..65535.
bool parse_port(std::string_view s, std::uint16_t& port) noexcept;

// Whether the first `bits` bits of `a` and `b` are equal.
bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                    int bits) noexcept;

// Zeroes every bit of `address` past the first `bits`.
void clear_host_bits(std::array<std::uint8_t, 16>& address, int bits) noexcept;

// An address block: `bits` leading bits of `address` (IPv4 in the first 4 bytes).
struct address_block {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> address{};
  int bits = 0;
};

// Whether the block `inner` lies wholly inside `outer` (same family, at least as long a prefix).
bool block_within(const address_block& inner, const address_block& outer) noexcept;

// The Lambda sandbox's own addresses: loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10,
// where instance metadata lives), 0.0.0.0/8 and ::. Inside Lambda the Runtime API listens on loopback, and
// tailscaled dials addresses outside the tailnet from the sandbox's own network.
bool is_sandbox_block(const address_block& block) noexcept;
// A target host in the sandbox: an IP literal in those blocks, or the name localhost / *.localhost.
bool is_sandbox_host(std::string_view host) noexcept;

// A host as routing names it, so that every way of naming one target (a request's ts-target-* headers,
// TSPROXY_PREWARM) gives one connection-pool key: an IP literal (brackets allowed) in canonical form,
// a DNS name lower-cased without its trailing dot. False when `text` is neither.
bool canonical_host(std::string_view text, std::string& out);

// Caller input for an error message: quoted, control bytes written as \xNN (so the message is one line
// of text wherever it goes), and cut short so a huge header cannot bloat the error.
std::string quoted(std::string_view value);

}  // namespace tsproxy::lambda
