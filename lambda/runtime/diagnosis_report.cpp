#include "runtime/diagnosis_report.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "adapter/json_writer.hpp"
#include "runtime/failure.hpp"
#include "tsproxy/engine/dns_message.hpp"
#include "tsproxy/engine/errors.hpp"

namespace tsproxy::lambda {

namespace {

// A certificate that expires within this many days is worth a warning: renewals usually run 30 days ahead.
constexpr std::int64_t expiry_warning_days = 14;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
  return out;
}

std::string without_final_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return std::string(name);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

std::string milliseconds(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f ms", ms);
  return text;
}

// "2027-01-31T12:00:00Z" as Unix seconds; nullopt when it is not in that form.
std::optional<std::int64_t> epoch_seconds(const std::string& iso) {
  struct tm parts {};
  if (std::sscanf(iso.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
                  &parts.tm_hour, &parts.tm_min, &parts.tm_sec) != 6)
    return std::nullopt;
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&parts));
}

std::string peer_label(const tailscale_node& peer) {
  return peer.dns_name.empty() ? peer.host_name : without_final_dot(peer.dns_name);
}

std::string_view finding_name(finding f) {
  switch (f) {
    case finding::ok:
      return "ok";
    case finding::warning:
      return "warning";
    case finding::failed:
      return "failed";
    case finding::skipped:
      return "skipped";
  }
  return "skipped";
}

// ---- JSON ------------------------------------------------------------------------------------------------

void key(std::string& out, std::string_view name) {
  if (out.back() != '{') out.push_back(',');
  append_json_string(out, name);
  out.push_back(':');
}

void text_field(std::string& out, std::string_view name, std::string_view value) {
  key(out, name);
  append_json_string_lossy(out, value);
}

void strings_field(std::string& out, std::string_view name, const std::vector<std::string>& values) {
  key(out, name);
  out.push_back('[');
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_json_string_lossy(out, values[i]);
  }
  out.push_back(']');
}

void bool_field(std::string& out, std::string_view name, bool value) {
  key(out, name);
  out.append(value ? "true" : "false");
}

void ms_field(std::string& out, std::string_view name, double value) {
  key(out, name);
  append_json_fixed(out, value, 1);
}

void close_section(std::string& out, const verdict& v) {
  text_field(out, "result", finding_name(v.result));
  text_field(out, "verdict", v.words);
  out.push_back('}');
}

void error_field(std::string& out, std::error_code ec) {
  if (!ec) return;
  const auto f = describe_failure(ec, false);
  text_field(out, "error", f.name);
  text_field(out, "errorMessage", f.message);
}

}  // namespace

bool is_magic_dns_name(std::string_view name, const tailscale_node& peer) {
  const std::string asked = lower(without_final_dot(name));
  const std::string fqdn = lower(without_final_dot(peer.dns_name));
  return !asked.empty() && !fqdn.empty() && (asked == fqdn || asked == fqdn.substr(0, fqdn.find('.')));
}

// By the addresses a connection would dial, never by the name alone: for an address target the name is
// only the caller's TLS server name or Host, and matching it would describe a peer the caller may not reach.
const tailscale_node* find_peer(const diagnosis_facts& facts) {
  if (!facts.status) return nullptr;
  for (const auto& peer : facts.status->peers) {
    for (const auto& address : facts.addresses) {
      if (std::find(peer.tailscale_ips.begin(), peer.tailscale_ips.end(), address) !=
          peer.tailscale_ips.end())
        return &peer;
    }
  }
  return nullptr;
}

verdict judge_tailscale(const diagnosis_facts& facts) {
  if (!facts.local_api)
    return {finding::skipped,
            "no LocalAPI to ask (TSPROXY_TAILSCALE_SOCKET is none): the SOCKS5 listener is "
            "not known to be tailscaled"};
  if (facts.status_error || !facts.status)
    return {finding::failed,
            "tailscaled's LocalAPI did not answer (" + facts.status_error.message() +
                "): tailscaled is not running, or TSPROXY_TAILSCALE_SOCKET names another socket"};
  const auto& basics = facts.status->basics;
  if (basics.backend_state != "Running") {
    std::string words = "Tailscale is " + basics.backend_state +
                        ", not Running: this node is not connected to "
                        "the tailnet";
    if (basics.backend_state == "NeedsLogin") words += " (the auth key was not accepted, or it expired)";
    if (basics.backend_state == "NeedsMachineAuth") words += " (an admin must approve the device)";
    if (!basics.health.empty()) words += "; tailscaled says: " + basics.health.front();
    return {finding::failed, words};
  }
  if (!basics.health.empty())
    return {finding::warning, "Tailscale is running with " + std::to_string(basics.health.size()) +
                                  " health warning(s); the first: " + basics.health.front()};
  return {finding::ok, "Tailscale is running and reports no health problem"};
}

verdict judge_resolution(const diagnosis_facts& facts) {
  if (!facts.refusal_name.empty())
    return {finding::failed,
            "tsproxy refuses where the name leads (" + facts.refusal_name + "): " + facts.refusal_message};
  if (facts.addresses.empty() && !facts.resolve_error)
    return {finding::skipped,
            "no LocalAPI to resolve " + facts.name + " through: the SOCKS5 listener resolves it"};
  if (facts.resolved_by_name && facts.resolve_error) {
    if (facts.resolve_error == dns_error::name_not_found || facts.resolve_error == dns_error::no_address)
      return {finding::failed,
              "the name " + facts.name +
                  " does not resolve: no tailnet peer has that MagicDNS "
                  "name and DNS has no address for it; check the spelling and that the machine "
                  "is in this tailnet"};
    return {finding::failed,
            "the name " + facts.name + " could not be resolved (" + facts.resolve_error.message() + ")"};
  }
  const std::string where = facts.resolved_by_name
                                ? "the name " + facts.name + " resolves to " + joined(facts.addresses)
                                : "the target is the address " + joined(facts.addresses);
  if (const auto* peer = find_peer(facts)) {
    if (!peer->online) {
      std::string words = where + ", the tailnet peer " + peer_label(*peer) + ", which is offline";
      if (!peer->last_seen.empty()) words += " (last seen " + peer->last_seen + ")";
      return {finding::failed, words + ": start the machine or bring its Tailscale up"};
    }
    return {finding::ok, where + ", the tailnet peer " + peer_label(*peer) + ", which is online"};
  }
  const bool in_tailnet = std::any_of(facts.addresses.begin(), facts.addresses.end(),
                                      [](const std::string& a) { return is_tailnet_address(a); });
  if (in_tailnet && facts.status)
    return {finding::failed, where +
                                 ", a tailnet address no peer of this node has: the machine was removed, or "
                                 "the tailnet's ACLs hide it from this node"};
  if (in_tailnet) return {finding::ok, where + ", a tailnet address"};
  return {finding::ok, where +
                           ", outside the tailnet (no MagicDNS peer): tailscaled reaches it over a subnet "
                           "route, an exit node or the function's own network"};
}

verdict judge_ping(const diagnosis_facts& facts) {
  if (!facts.local_api) return {finding::skipped, "no LocalAPI to ping through"};
  if (facts.ping_ip.empty()) return {finding::skipped, "no tailnet address to ping"};
  if (facts.ping_error) {
    if (is_timeout(facts.ping_error))
      return {finding::failed, "no pong from " + facts.ping_ip + " within " +
                                   std::to_string(facts.ping_bound.count()) +
                                   " ms: the peer is offline, or no path (direct or DERP) reaches it"};
    return {finding::failed,
            "tailscaled could not ping " + facts.ping_ip + " (" + facts.ping_error.message() + ")"};
  }
  const auto& pong = *facts.pong;
  if (!pong.err.empty()) return {finding::failed, "the ping of " + facts.ping_ip + " failed: " + pong.err};
  const auto latency = milliseconds(pong.latency_seconds * 1000);
  if (!pong.endpoint.empty())
    return {finding::ok,
            "pong from " + pong.node_name + " in " + latency + " over a direct path (" + pong.endpoint + ")"};
  return {finding::ok, "pong from " + pong.node_name + " in " + latency + " relayed through DERP region " +
                           pong.derp_region_code +
                           ": no direct path (UDP is blocked on one side); it works, "
                           "with more latency"};
}

verdict judge_connection(const diagnosis_facts& facts) {
  if (!facts.connection_tried) return {finding::skipped, "no trial connection: " + facts.connection_skipped};
  if (facts.socks5_error) {
    const auto f = describe_failure(facts.socks5_error, false);
    return {finding::failed,
            "the connection through tailscaled's SOCKS5 listener failed: " + f.name + ", " + f.message};
  }
  std::string words = "connected through SOCKS5 in " + milliseconds(facts.socks5_ms);
  if (!facts.target.tls) return {finding::ok, words + " (plain HTTP, no TLS)"};
  if (facts.tls_error) {
    return {finding::failed,
            words + ", but the TLS handshake failed (" + facts.tls_error.message() +
                "): the certificate does not name " +
                (facts.target.server_name.empty() ? facts.target.host : facts.target.server_name) +
                ", is expired or is not signed by a trusted CA (TSPROXY_TLS_CA_FILE)"};
  }
  words += ", TLS in " + milliseconds(facts.tls_ms);
  if (!facts.certificate) return {finding::ok, words};
  words += "; the certificate names " + joined(facts.certificate->names) + " and is valid until " +
           facts.certificate->not_after;
  if (const auto expiry = epoch_seconds(facts.certificate->not_after)) {
    const auto days_left = (*expiry - facts.now_epoch_s) / 86400;
    if (days_left < expiry_warning_days)
      return {finding::warning, words + ", " + std::to_string(days_left) + " days from now: renew it"};
  }
  return {finding::ok, words};
}

verdict judge_pool(const diagnosis_facts& facts) {
  if (facts.idle_connections == 0)
    return {finding::ok, "no warm connection to this target in this environment: the next request opens one"};
  return {finding::ok, std::to_string(facts.idle_connections) +
                           " warm connection(s) to this target wait in this environment's pool"};
}

std::string diagnosis_json(const diagnosis_facts& facts) {
  const verdict sections[] = {judge_tailscale(facts), judge_resolution(facts), judge_ping(facts),
                              judge_connection(facts), judge_pool(facts)};
  std::string out = "{";
  text_field(out, "target", facts.target.describe());

  key(out, "tailscale");
  out.push_back('{');
  if (facts.status) {
    const auto& s = *facts.status;
    text_field(out, "backendState", s.basics.backend_state);
    text_field(out, "version", s.version);
    strings_field(out, "addresses", s.self.tailscale_ips);
    strings_field(out, "health", s.basics.health);
    text_field(out, "derpHome", s.self.relay);
  }
  error_field(out, facts.status_error);
  close_section(out, sections[0]);

  key(out, "resolution");
  out.push_back('{');
  if (!facts.name.empty()) text_field(out, "name", facts.name);
  strings_field(out, "addresses", facts.addresses);
  const auto* peer = facts.refusal_name.empty() ? find_peer(facts) : nullptr;
  bool_field(out, "magicDns",
             peer != nullptr && facts.resolved_by_name && is_magic_dns_name(facts.name, *peer));
  key(out, "peer");
  if (peer == nullptr) {
    out.append("null");
  } else {
    out.push_back('{');
    text_field(out, "dnsName", peer->dns_name);
    text_field(out, "hostName", peer->host_name);
    strings_field(out, "addresses", peer->tailscale_ips);
    bool_field(out, "online", peer->online);
    text_field(out, "lastSeen", peer->last_seen);
    text_field(out, "currentAddress", peer->cur_addr);
    text_field(out, "derpHome", peer->relay);
    out.push_back('}');
  }
  error_field(out, facts.resolve_error);
  if (!facts.refusal_name.empty()) {
    text_field(out, "error", facts.refusal_name);
    text_field(out, "errorMessage", facts.refusal_message);
  }
  close_section(out, sections[1]);

  key(out, "ping");
  out.push_back('{');
  if (!facts.ping_ip.empty()) text_field(out, "ip", facts.ping_ip);
  if (facts.pong) {
    const auto& pong = *facts.pong;
    text_field(out, "nodeName", pong.node_name);
    text_field(out, "path", pong.endpoint.empty() ? "derp" : "direct");
    ms_field(out, "latencyMs", pong.latency_seconds * 1000);
    text_field(out, "endpoint", pong.endpoint);
    text_field(out, "derpRegion", pong.derp_region_code);
    if (!pong.err.empty()) text_field(out, "pingError", pong.err);
  }
  error_field(out, facts.ping_error);
  close_section(out, sections[2]);

  key(out, "connection");
  out.push_back('{');
  if (facts.connection_tried) {
    key(out, "socks5");
    out.push_back('{');
    bool_field(out, "connected", !facts.socks5_error);
    ms_field(out, "ms", facts.socks5_ms);
    error_field(out, facts.socks5_error);
    out.push_back('}');
    if (facts.target.tls && !facts.socks5_error) {
      key(out, "tls");
      out.push_back('{');
      bool_field(out, "handshake", !facts.tls_error);
      ms_field(out, "ms", facts.tls_ms);
      if (facts.certificate) {
        strings_field(out, "names", facts.certificate->names);
        text_field(out, "notAfter", facts.certificate->not_after);
      }
      error_field(out, facts.tls_error);
      out.push_back('}');
    }
  }
  close_section(out, sections[3]);

  key(out, "pool");
  out.push_back('{');
  key(out, "idle");
  append_json_int(out, static_cast<std::int64_t>(facts.idle_connections));
  close_section(out, sections[4]);

  const verdict* overall = nullptr;
  for (const auto wanted : {finding::failed, finding::warning}) {
    for (const auto& v : sections) {
      if (overall == nullptr && v.result == wanted) overall = &v;
    }
  }
  text_field(out, "result", overall == nullptr ? "ok" : finding_name(overall->result));
  text_field(
      out, "verdict",
      overall == nullptr ? "every step works: the target is reachable through tsproxy" : overall->words);
  out.push_back('}');
  return out;
}

}  // namespace tsproxy::lambda
