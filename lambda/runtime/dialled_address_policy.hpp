#pragma once
// The runtime's dial_policy (upstream_connector.hpp): the sandbox and allow-list rules applied to the
// address that is dialled, not to the name a caller gave (docs/PROTOCOLS.md 5.3). A target named by DNS
// name is resolved for each new connection through tailscaled's LocalAPI dns-query, which answers from
// the resolver its SOCKS5 dialer uses (MagicDNS first), so the address checked is the address tailscaled
// would have reached. Every address is checked (check_resolved_address) and the first is dialled; after
// the CONNECT the listener's bound address is checked too (check_bound_address).
//
// Without a LocalAPI (TSPROXY_TAILSCALE_SOCKET=none: a plain SOCKS5 relay) names are resolved through
// resolv.conf's servers instead. When the LocalAPI is configured but cannot answer, the target is refused
// (502 TailscaleDnsUnavailable): fail closed, never a name passed on unchecked.

#include <string>
#include <system_error>

#include "adapter/allow_list.hpp"
#include "adapter/routing.hpp"
#include "tsproxy/engine/dns_resolver.hpp"
#include "tsproxy/engine/upstream_connector.hpp"

namespace tsproxy::lambda {

enum class dial_refusal {
  target_not_allowed = 1,      // 403 TargetNotAllowed
  sandbox_target_not_allowed,  // 403 SandboxTargetNotAllowed
  tailscale_dns_unavailable,   // 502 TailscaleDnsUnavailable
};

const std::error_category& dial_refusal_category() noexcept;
std::error_code make_error_code(dial_refusal e) noexcept;
// The dial refusal a request gets for a resolved address check_resolved_address refused: it names the rule,
// not the address.
std::error_code dial_refusal_for(const routing_error& refusal);

class dialled_address_policy final : public dial_policy {
 public:
  // `allowed` (null: any target) must outlive the policy.
  dialled_address_policy(std::string tailscale_socket, const allow_list* allowed, dns_settings fallback_dns);

  asio::awaitable<std::error_code> choose_address(const upstream_target& target, time_point deadline,
                                                  std::string& dial_host) const override;
  std::error_code check_bound(const std::string& dial_host, const asio::ip::address& bound) const override;

 private:
  asio::awaitable<std::error_code> resolve(const std::string& name, time_point deadline,
                                           std::vector<asio::ip::address>& out) const;
  asio::awaitable<std::error_code> resolve_through_tailscaled(const std::string& name, time_point deadline,
                                                              std::vector<asio::ip::address>& out) const;

  std::string tailscale_socket_;
  const allow_list* allowed_;
  dns_settings fallback_dns_;
};

}  // namespace tsproxy::lambda

template <>
struct std::is_error_code_enum<tsproxy::lambda::dial_refusal> : std::true_type {};
