// The verdicts of a diagnosis and its JSON, from facts built by hand; and the LocalAPI documents they come
// from (the status with peers, a ping result) as tailscaled writes them.

#include "runtime/diagnosis_report.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <string>

#include "tsproxy/engine/dns_message.hpp"
#include "tsproxy/engine/errors.hpp"

namespace tsproxy::lambda {
namespace {

// 2026-12-07T00:00:00Z
constexpr std::int64_t now_s = 1796601600;

tailscale_node peer(std::string name, std::string ip, bool online) {
  tailscale_node n;
  n.dns_name = name + ".tailnet.ts.net.";
  n.host_name = name;
  n.tailscale_ips = {std::move(ip)};
  n.online = online;
  n.last_seen = online ? "0001-01-01T00:00:00Z" : "2026-11-30T08:15:00Z";
  n.relay = "fra";
  return n;
}

// A reachable https target by MagicDNS name, every step a success.
diagnosis_facts healthy() {
  diagnosis_facts f;
  f.target = {.host = "web", .port = 443, .tls = true, .server_name = "web"};
  f.status = tailscale_full_status{.basics = {.backend_state = "Running"}, .version = "1.102.3"};
  f.status->self = peer("tsproxy", "100.64.0.1", true);
  f.status->peers = {peer("db", "100.64.0.6", false), peer("web", "100.64.0.5", true)};
  f.name = "web";
  f.resolved_by_name = true;
  f.addresses = {"100.64.0.5"};
  f.ping_ip = "100.64.0.5";
  f.pong = tailscale_ping_result{
      .ip = "100.64.0.5", .node_name = "web", .latency_seconds = 0.0123, .endpoint = "203.0.113.7:41641"};
  f.connection_tried = true;
  f.socks5_ms = 3.2;
  f.tls_ms = 8.5;
  f.certificate = peer_certificate{{"web.tailnet.ts.net"}, "2027-03-01T00:00:00Z"};
  f.idle_connections = 2;
  f.now_epoch_s = now_s;
  return f;
}

std::string field(const std::string& json, const char* section, const char* name) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string_view value;
  if (parser.parse(json).get(root)) return "<not JSON>";
  auto at = *section == '\0' ? root[name] : root[section][name];
  if (at.get(value)) return "<missing>";
  return std::string(value);
}

TEST(DiagnosisReport, EverySectionOfAHealthyTargetIsOkAndTheJsonSaysWhatWasSeen) {
  const auto json = diagnosis_json(healthy());
  for (const char* section : {"tailscale", "resolution", "ping", "connection", "pool", ""})
    EXPECT_EQ(field(json, section, "result"), "ok") << section << "\n" << json;
  EXPECT_EQ(field(json, "", "target"), "https://web:443");
  EXPECT_EQ(field(json, "ping", "path"), "direct");
  EXPECT_NE(field(json, "ping", "verdict").find("12.3 ms over a direct path (203.0.113.7:41641)"),
            std::string::npos);
  EXPECT_NE(json.find(R"("magicDns":true)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("names":["web.tailnet.ts.net"],"notAfter":"2027-03-01T00:00:00Z")"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"("idle":2)"), std::string::npos) << json;
}

TEST(DiagnosisReport, APeerIsFoundByTheAddressDialledAndItsMagicDnsNameByItsFqdnOrFirstLabelInAnyCase) {
  auto f = healthy();
  for (const char* name : {"web", "WEB.tailnet.ts.net", "web.tailnet.ts.net."}) {
    f.name = name;
    ASSERT_NE(find_peer(f), nullptr) << name;
    EXPECT_EQ(find_peer(f)->host_name, "web");
    EXPECT_NE(diagnosis_json(f).find(R"("magicDns":true)"), std::string::npos) << name;
  }
  EXPECT_TRUE(is_magic_dns_name("Web.Tailnet.TS.net.", f.status->peers[1]));
  EXPECT_FALSE(is_magic_dns_name("upstream.test", f.status->peers[1]));
  f.name = "we";
  f.addresses = {"100.64.0.9"};
  EXPECT_EQ(find_peer(f), nullptr);
  f.addresses = {"100.64.0.6"};
  ASSERT_NE(find_peer(f), nullptr);
  EXPECT_EQ(find_peer(f)->host_name, "db");
}

// An address target's name is only the caller's server name: the peer is the address's, never the one the
// name would name, and the name is no MagicDNS name.
TEST(DiagnosisReport, AnAddressTargetNamedAsAnotherPeerIsTheAddressesPeer) {
  auto f = healthy();
  f.target = {.host = "100.64.0.5", .port = 443, .tls = true, .server_name = "db"};
  f.name = "db";
  f.resolved_by_name = false;
  ASSERT_NE(find_peer(f), nullptr);
  EXPECT_EQ(find_peer(f)->host_name, "web");
  const auto json = diagnosis_json(f);
  EXPECT_EQ(json.find(R"("hostName":"db")"), std::string::npos) << json;
  EXPECT_EQ(json.find("100.64.0.6"), std::string::npos) << "db's address: " << json;
  EXPECT_NE(json.find(R"("magicDns":false)"), std::string::npos) << json;
  f.addresses = {"100.64.0.9"};  // no peer's address
  EXPECT_EQ(find_peer(f), nullptr);
  EXPECT_NE(diagnosis_json(f).find(R"("peer":null)"), std::string::npos);
}

TEST(DiagnosisReport, TailscaleNotRunningFailsWithItsStateAndTailscaledsWords) {
  auto f = healthy();
  f.status->basics.backend_state = "NeedsLogin";
  f.status->basics.health = {"not in map poll"};
  const auto v = judge_tailscale(f);
  EXPECT_EQ(v.result, finding::failed);
  EXPECT_NE(v.words.find("NeedsLogin, not Running"), std::string::npos) << v.words;
  EXPECT_NE(v.words.find("not in map poll"), std::string::npos) << v.words;
  f.status->basics.backend_state = "Running";
  EXPECT_EQ(judge_tailscale(f).result, finding::warning) << "running, with a health warning";
  f.status.reset();
  f.status_error = make_error_code(engine_error::request_deadline);
  EXPECT_EQ(judge_tailscale(f).result, finding::failed);
  f.local_api = false;
  EXPECT_EQ(judge_tailscale(f).result, finding::skipped);
}

TEST(DiagnosisReport, ANameThatDoesNotResolveFailsTheResolutionAndTheOverallVerdict) {
  auto f = healthy();
  f.name = "nowhere";
  f.addresses.clear();
  f.resolve_error = make_error_code(dns_error::name_not_found);
  f.ping_ip.clear();
  f.pong.reset();
  f.connection_tried = false;
  f.connection_skipped = "the name does not resolve";
  const auto v = judge_resolution(f);
  EXPECT_EQ(v.result, finding::failed);
  EXPECT_NE(v.words.find("nowhere does not resolve"), std::string::npos) << v.words;
  const auto json = diagnosis_json(f);
  EXPECT_EQ(field(json, "", "result"), "failed");
  EXPECT_EQ(field(json, "", "verdict"), v.words);
  EXPECT_EQ(field(json, "ping", "result"), "skipped");
  EXPECT_EQ(field(json, "connection", "verdict"), "no trial connection: the name does not resolve");
  EXPECT_EQ(field(json, "resolution", "error"), "DnsNameNotFound") << json;
}

TEST(DiagnosisReport, AnOfflinePeerFailsWithWhenItWasLastSeenAndAnUnansweredPingWithItsBound) {
  auto f = healthy();
  f.name = "db";
  f.addresses = {"100.64.0.6"};
  f.ping_ip = "100.64.0.6";
  f.pong.reset();
  f.ping_error = make_error_code(engine_error::request_deadline);
  f.ping_bound = std::chrono::milliseconds(2000);
  const auto resolution = judge_resolution(f);
  EXPECT_EQ(resolution.result, finding::failed);
  EXPECT_NE(resolution.words.find("db.tailnet.ts.net, which is offline (last seen 2026-11-30T08:15:00Z)"),
            std::string::npos)
      << resolution.words;
  const auto ping = judge_ping(f);
  EXPECT_EQ(ping.result, finding::failed);
  EXPECT_NE(ping.words.find("no pong from 100.64.0.6 within 2000 ms"), std::string::npos) << ping.words;
}

TEST(DiagnosisReport, ARelayedPingIsOkAndSaysWhichDerpRegion) {
  auto f = healthy();
  f.pong->endpoint.clear();
  f.pong->derp_region_code = "fra";
  const auto v = judge_ping(f);
  EXPECT_EQ(v.result, finding::ok);
  EXPECT_NE(v.words.find("relayed through DERP region fra"), std::string::npos) << v.words;
  EXPECT_EQ(field(diagnosis_json(f), "ping", "path"), "derp");
  f.pong->err = "no matching peer";
  EXPECT_EQ(judge_ping(f).result, finding::failed);
}

TEST(DiagnosisReport, TlsFailureFailsAndACertificateNearItsExpiryWarns) {
  auto f = healthy();
  f.certificate->not_after = "2026-12-10T00:00:00Z";
  auto v = judge_connection(f);
  EXPECT_EQ(v.result, finding::warning);
  EXPECT_NE(v.words.find("3 days from now: renew it"), std::string::npos) << v.words;
  f.tls_error = make_error_code(engine_error::tls_handshake_timeout);
  EXPECT_EQ(judge_connection(f).result, finding::failed);
  f.socks5_error = make_error_code(engine_error::socks5_target_unreachable);
  v = judge_connection(f);
  EXPECT_EQ(v.result, finding::failed);
  EXPECT_NE(v.words.find("Socks5TargetUnreachable"), std::string::npos) << v.words;
}

TEST(DiagnosisReport, ANameLeadingWhereTsproxyRefusesSaysSoAndTellsNothingOfThePeer) {
  auto f = healthy();
  f.refusal_name = "TargetNotAllowed";
  f.refusal_message = "the target's name resolves to an address that is not in the proxy's allow-list";
  f.addresses.clear();  // as the probe leaves them: where the name leads is not told
  f.ping_ip.clear();
  f.pong.reset();
  f.connection_tried = false;
  f.connection_skipped = "tsproxy refuses the target";
  const auto v = judge_resolution(f);
  EXPECT_EQ(v.result, finding::failed);
  EXPECT_NE(v.words.find("(TargetNotAllowed)"), std::string::npos) << v.words;
  const auto json = diagnosis_json(f);
  EXPECT_EQ(field(json, "resolution", "error"), "TargetNotAllowed");
  EXPECT_NE(json.find(R"("peer":null)"), std::string::npos) << json;
}

TEST(DiagnosisReport, AnAddressOutsideTheTailnetIsOkButSaidToBeOutside) {
  auto f = healthy();
  f.name.clear();
  f.resolved_by_name = false;
  f.addresses = {"203.0.113.9"};
  const auto v = judge_resolution(f);
  EXPECT_EQ(v.result, finding::ok);
  EXPECT_NE(v.words.find("outside the tailnet"), std::string::npos) << v.words;
  f.addresses = {"100.64.0.77"};
  EXPECT_EQ(judge_resolution(f).result, finding::failed) << "a tailnet address no peer has";
}

std::string padded(std::string json) {
  json.reserve(json.size() + tailscale_status_padding);
  return json;
}

TEST(TailscaleFullStatus, SelfAndEveryPeerAreReadAsTailscaledWritesThem) {
  // The shape of ipnstate.Status (ipn/ipnstate/ipnstate.go:31-90, 233-290), tab-indented by the LocalAPI.
  const auto json = padded(R"({
	"Version": "1.102.3-t0123456789",
	"BackendState": "Running",
	"Self": {"HostName": "tsproxy", "DNSName": "tsproxy.tailnet.ts.net.", "TailscaleIPs": ["100.64.0.1", "fd7a:115c:a1e0::1"],
	         "Relay": "fra", "Online": true},
	"Health": null,
	"Peer": {
		"nodekey:aa": {"HostName": "web", "DNSName": "web.tailnet.ts.net.", "TailscaleIPs": ["100.64.0.5"],
		               "CurAddr": "203.0.113.7:41641", "Relay": "nyc", "LastSeen": "0001-01-01T00:00:00Z", "Online": true},
		"nodekey:bb": {"HostName": "db", "DNSName": "db.tailnet.ts.net.", "TailscaleIPs": ["100.64.0.6"],
		               "LastSeen": "2026-11-30T08:15:00Z", "Online": false}
	}
}
)");
  const auto status = parse_tailscale_full_status(json);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->basics.backend_state, "Running");
  EXPECT_EQ(status->version, "1.102.3-t0123456789");
  EXPECT_EQ(status->self.relay, "fra");
  EXPECT_EQ(status->self.tailscale_ips, (std::vector<std::string>{"100.64.0.1", "fd7a:115c:a1e0::1"}));
  ASSERT_EQ(status->peers.size(), 2u);
  EXPECT_EQ(status->peers[0].cur_addr, "203.0.113.7:41641");
  EXPECT_TRUE(status->peers[0].online);
  EXPECT_FALSE(status->peers[1].online);
  EXPECT_EQ(status->peers[1].last_seen, "2026-11-30T08:15:00Z");
  EXPECT_FALSE(parse_tailscale_full_status(padded(R"({"Peer": {}})"))) << "no BackendState";
  const auto without_peers =
      parse_tailscale_full_status(padded(R"({"BackendState": "Starting", "Peer": null})"));
  ASSERT_TRUE(without_peers);
  EXPECT_TRUE(without_peers->peers.empty());
}

TEST(TailscalePing, APongAndAFailureAreRead) {
  // ipnstate.PingResult (ipn/ipnstate/ipnstate.go:727-767) as json.NewEncoder writes it.
  const auto pong = parse_tailscale_ping(
      padded(R"({"IP":"100.64.0.5","NodeIP":"100.64.0.5","NodeName":"web","Err":"","LatencySeconds":0.0123,)"
             R"("Endpoint":"","PeerRelay":"","DERPRegionID":4,"DERPRegionCode":"fra"})"));
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->node_name, "web");
  EXPECT_DOUBLE_EQ(pong->latency_seconds, 0.0123);
  EXPECT_EQ(pong->derp_region_id, 4);
  EXPECT_EQ(pong->derp_region_code, "fra");
  const auto failure = parse_tailscale_ping(padded(R"({"IP":"100.64.0.9","Err":"no matching peer"})"));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->err, "no matching peer");
  EXPECT_FALSE(parse_tailscale_ping(padded(R"({"error":"want POST"})")));
}

}  // namespace
}  // namespace tsproxy::lambda
