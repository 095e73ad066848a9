#pragma once
// TSPROXY_ALLOWED_TARGETS: the targets the proxy may reach, parsed once at start-up and matched
// against every routed request (403 TargetNotAllowed when no entry admits it).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

// Which targets the proxy may reach.
//
// Syntax: entries separated by commas, blanks around entries ignored, empty entries ignored:
//   entry   = address ":" port
//   address = IPv4 [ "/" 0..32 ]              e.g. 100.64.0.0/10, 100.100.1.2
//           | "[" IPv6 [ "/" 0..128 ] "]"     e.g. [fd7a:115c:a1e0::/48], [fd7a:115c:a1e0::1]
//           | DNS name                        e.g. db.tailnet-abc.ts.net (matched exactly, any case)
//   port    = 1..65535 | "*"
// IPv6 must be bracketed so the port separator is unambiguous. Host bits beyond the prefix are ignored
// (100.64.1.1/10 means 100.64.0.0/10). An IPv4-mapped IPv6 prefix of length >= 96 becomes IPv4.
// Example: "100.64.0.0/10:443,100.100.1.2:8080,[fd7a:115c:a1e0::/48]:*,grafana.tailnet.ts.net:443".
//
// Matching: a target whose host is an IP literal matches address entries of its family whose prefix
// contains it; a host-name target matches only a name entry with the same name — never a CIDR, since the
// name is resolved later by the SOCKS5 server. The port must be equal, or the entry's port "*".
class allow_list {
 public:
  // Returns nullopt and sets `error` to a one-line explanation when `spec` is malformed or has no entry.
  static std::optional<allow_list> parse(std::string_view spec, std::string& error);

  bool allows(const upstream_target& target) const noexcept;
  // Whether an entry that lies wholly inside the sandbox (target_address.hpp) admits `target`: the
  // operator named the sandbox address itself, not merely a block that happens to contain it.
  bool names_sandbox_target(const upstream_target& target) const noexcept;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    bool is_name = false;
    bool is_v6 = false;
    int prefix_bits = 0;
    std::array<std::uint8_t, 16> address{};  // IPv4 uses the first 4 bytes; bits past the prefix are zero
    std::string name;                        // lower-case, no trailing dot
    std::uint16_t port = 0;                  // 0 = any port
  };
  std::vector<entry> entries_;
};

}  // namespace tsproxy::lambda
