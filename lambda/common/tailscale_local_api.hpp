#pragma once
// tailscaled's LocalAPI, asked over its unix socket with the fixed Host local-tailscaled.sock
// (docs/PROTOCOLS.md section 5.4):
//  - GET /localapi/v0/status?peers=false: the runtime asks it to tell a SOCKS5 0x01 "not ready yet" from
//    "target unreachable"; the extension polls it until the node is Running.
//  - GET /localapi/v0/dns-query?name=N&type=A|AAAA: the raw DNS answer of the resolver tailscaled's own
//    dialer uses (MagicDNS first), so the runtime checks the address a name will really reach.
// Only asking: the extension changes tailscaled's state through the tailscale CLI.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/dns_message.hpp"

namespace tsproxy::lambda {

// The fields of ipnstate.Status that tell whether and why the node is (not) up.
struct tailscale_status {
  // NoState, InUseOtherUser, NeedsLogin, NeedsMachineAuth, Stopped, Starting, Running (or a newer one).
  std::string backend_state;
  std::vector<std::string> health;  // tailscaled's current health warnings, readable sentences
  // The first Tailscale IP of the exit node in use (ExitNodeStatus.TailscaleIPs, without the "/32"):
  // present once the exit node the prefs name is in the netmap, with or without peers in the status
  // (tailscale/tailscale@v1.102.3 ipn/ipnlocal/local.go:1489-1501). Empty when there is none.
  std::string exit_node_ip;
};

inline constexpr std::size_t tailscale_status_padding = 64;  // simdjson::SIMDJSON_PADDING

// Parses a status document; nullopt when it is not one (no BackendState string). `json` must be
// followed by at least tailscale_status_padding readable bytes.
std::optional<tailscale_status> parse_tailscale_status(std::string_view json);

// Asks tailscaled at `socket_path` for its status by `until`. Fails when there is no socket, no answer
// in time, a status other than 200 (http_unexpected_status) or no status document (http_bad_header).
asio::awaitable<std::error_code> query_tailscale_status(asio::any_io_executor executor,
                                                        const std::string& socket_path, time_point until,
                                                        tailscale_status& out);

// The addresses tailscaled's resolver gives `name` (a DNS name without its trailing dot) for `type`, by
// `until`. Fails like query_tailscale_status when tailscaled does not answer, with http_bad_header when
// the answer is no dns-query document, or with the dns_error the DNS message carries (name_not_found,
// no_address, server_failure, bad_response).
asio::awaitable<std::error_code> query_tailscale_dns(asio::any_io_executor executor,
                                                     const std::string& socket_path, std::string_view name,
                                                     dns_record_type type, time_point until, dns_answer& out);

// The DNS message of a dns-query document ({"Bytes": base64, ...}); nullopt when it is not one. `json`
// must be followed by at least tailscale_status_padding readable bytes.
std::optional<std::string> parse_dns_query_bytes(std::string_view json);

}  // namespace tsproxy::lambda
