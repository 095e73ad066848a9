#pragma once
// tailscaled's LocalAPI, asked over its unix socket with the fixed Host local-tailscaled.sock
// (docs/PROTOCOLS.md section 5.4):
//  - GET /localapi/v0/status?peers=false: the runtime asks it to tell a SOCKS5 0x01 "not ready yet" from
//    "target unreachable"; the extension polls it until the node is Running.
//  - GET /localapi/v0/dns-query?name=N&type=A|AAAA: the raw DNS answer of the resolver tailscaled's own
//    dialer uses (MagicDNS first), so the runtime checks the address a name will really reach.
//  - GET /localapi/v0/status (with peers) and POST /localapi/v0/ping?ip=IP&type=disco: what the runtime's
//    diagnosis of a target reports (runtime/diagnosis_probe.hpp).
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

// One node of ipnstate.Status (Self, or an entry of Peer): tailscale/tailscale@v1.102.3
// ipn/ipnstate/ipnstate.go:233-290.
struct tailscale_node {
  std::string dns_name;                    // the FQDN with its final dot ("web.tailnet.ts.net.")
  std::string host_name;                   // the OS's host name, not a DNS name
  std::vector<std::string> tailscale_ips;  // its Tailscale addresses
  bool online = false;                     // connected to the control plane
  std::string last_seen;                   // RFC 3339; only meaningful while offline
  std::string cur_addr;                    // the direct endpoint in use, empty when none
  std::string relay;                       // its DERP home region code
};

// The whole status, with peers: what a diagnosis reports about the node and the target's peer.
struct tailscale_full_status {
  tailscale_status basics;
  std::string version;  // tailscaled's long version
  tailscale_node self;
  std::vector<tailscale_node> peers;
};

// Parses a status document with its Peer map; nullopt when it is not one. `json` must be followed by at
// least tailscale_status_padding readable bytes.
std::optional<tailscale_full_status> parse_tailscale_full_status(std::string_view json);

// Asks for the status with peers by `until`; fails as query_tailscale_status does.
asio::awaitable<std::error_code> query_tailscale_full_status(asio::any_io_executor executor,
                                                             const std::string& socket_path, time_point until,
                                                             tailscale_full_status& out);

// ipnstate.PingResult (tailscale/tailscale@v1.102.3 ipn/ipnstate/ipnstate.go:727-767).
struct tailscale_ping_result {
  std::string ip;
  std::string node_name;
  std::string err;  // why there was no pong, empty after one
  double latency_seconds = 0;
  std::string endpoint;  // "ip:port" of a direct path, empty when relayed
  int derp_region_id = 0;
  std::string derp_region_code;  // the relaying DERP region when not direct
};

// Parses a PingResult document; nullopt when it is not one.
std::optional<tailscale_ping_result> parse_tailscale_ping(std::string_view json);

// A disco ping of `ip` (an IP literal) through tailscaled by `until`. tailscaled answers only when the
// pong arrives or its request is cancelled, so an unanswered ping ends with the deadline's error.
asio::awaitable<std::error_code> ping_through_tailscale(asio::any_io_executor executor,
                                                        const std::string& socket_path, std::string_view ip,
                                                        time_point until, tailscale_ping_result& out);

}  // namespace tsproxy::lambda
