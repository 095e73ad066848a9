#pragma once
// What a diagnosis (ts-diagnose: true, docs/PROTOCOLS.md section 1.6) found about one target, judged in
// plain words, and the JSON answer made of it. Pure: diagnosis_probe.hpp gathers the facts, this file
// only judges them, so every verdict is tested as a value.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/tailscale_local_api.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

// What was observed, step by step. An error code of a step that ran says why it failed.
struct diagnosis_facts {
  upstream_target target;
  bool local_api = true;  // a LocalAPI socket is configured (TSPROXY_TAILSCALE_SOCKET is not `none`)

  std::error_code status_error;  // asking for the status with peers
  std::optional<tailscale_full_status> status;

  std::string name;                    // the DNS name the caller gave, empty for an address alone
  bool resolved_by_name = false;       // the name was resolved (the target is no address)
  std::error_code resolve_error;       // of the A question (the AAAA one only adds addresses)
  std::vector<std::string> addresses;  // where the target leads: its address, or the name's
  // Why tsproxy refuses an address the name resolves to (the allow-list, the sandbox: routing.hpp's
  // check_resolved_address); nothing more is found out about such a target.
  std::string refusal_name;
  std::string refusal_message;

  std::string ping_ip;  // the tailnet address pinged, empty when none was
  std::error_code ping_error;
  std::optional<tailscale_ping_result> pong;
  std::chrono::milliseconds ping_bound{0};

  bool connection_tried = false;
  std::string connection_skipped;  // why no trial connection was made
  std::error_code socks5_error;    // opening the tunnel (the dial policy's refusals included)
  double socks5_ms = 0;
  std::error_code tls_error;
  double tls_ms = 0;
  std::optional<peer_certificate> certificate;

  std::size_t idle_connections = 0;  // the pool's warm connections to the target, before the trial
  std::int64_t now_epoch_s = 0;      // the wall clock, to tell how soon the certificate expires
};

enum class finding { ok, warning, failed, skipped };

struct verdict {
  finding result = finding::skipped;
  std::string words;
};

// Whether `name` is the peer's MagicDNS name: its FQDN with or without the final dot, or its base name,
// in any case.
bool is_magic_dns_name(std::string_view name, const tailscale_node& peer);

// The peer of the tailnet that the target is: by MagicDNS name (its FQDN with or without the final dot,
// or its base name) or by one of its Tailscale addresses. Null when none.
const tailscale_node* find_peer(const diagnosis_facts& facts);

verdict judge_tailscale(const diagnosis_facts& facts);
verdict judge_resolution(const diagnosis_facts& facts);
verdict judge_ping(const diagnosis_facts& facts);
verdict judge_connection(const diagnosis_facts& facts);
verdict judge_pool(const diagnosis_facts& facts);

// The answer's body: one object per section, each with "result" (ok, warning, failed, skipped) and
// "verdict", and an overall "result" and "verdict" (the first failed section's, else the first warning's).
std::string diagnosis_json(const diagnosis_facts& facts);

}  // namespace tsproxy::lambda
