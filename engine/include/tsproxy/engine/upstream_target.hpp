#pragma once
// Where a request goes: a machine reached through the SOCKS5 listener.

#include <compare>
#include <cstdint>
#include <string>

namespace tsproxy {

struct upstream_target {
  std::string host;  // IPv4/IPv6 literal, or a DNS name the SOCKS5 server resolves
  std::uint16_t port = 0;
  bool tls = false;
  std::string server_name;  // TLS SNI and verification name; empty = none (IP literal targets)

  // NOLINTNEXTLINE(modernize-use-nullptr): flags the 0 a defaulted <=> compares with (llvm-project#53961)
  auto operator<=>(const upstream_target&) const = default;
  std::string describe() const;  // "host:port" with "https://" or "http://" prefix, for logs and errors
};

// True when `host` is an IPv4 or IPv6 literal (no brackets).
bool is_ip_literal(const std::string& host) noexcept;

// True when `host` is an address Tailscale assigns to tailnet nodes: 100.64.0.0/10 (CGNAT) or
// fd7a:115c:a1e0::/48 (tailscale/tailscale net/tsaddr). tailscaled dials these over the tailnet and
// everything else, before it is Running, over the host's own network.
bool is_tailnet_address(const std::string& host) noexcept;

}  // namespace tsproxy
