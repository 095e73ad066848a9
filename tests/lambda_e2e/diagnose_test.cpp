// ts-diagnose: true end to end (docs/PROTOCOLS.md section 1.6): the runtime asks the tailscaled stand-in's
// LocalAPI for its status with peers, resolves the target through it, pings the target's tailnet address,
// opens a trial connection through the SOCKS5 listener (TLS included) and answers with the JSON verdicts,
// never forwarding the request. Off unless TSPROXY_DIAGNOSE or the caller's policy entry allows it.

#include <gtest/gtest.h>
#include <simdjson.h>

#include "fault_matrix.hpp"
#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

// One section of a diagnosis: its result and its verdict.
struct section {
  std::string result;
  std::string verdict;
};

class DiagnoseE2e : public ::testing::Test {
 protected:
  const test_ca& ca_ = test_ca::instance();
  python_upstream upstream_{{.tls_cert = ca_.server_cert(), .tls_key = ca_.server_key()}};
  // web answers on the upstream's ports (the stand-in reaches a peer's port on loopback); db is offline.
  tailscaled_standin tailscale_{
      {.state = "Running", .peers = "web=100.64.0.5,db=100.64.0.6", .offline_peers = "db"}};

  stack_options options(bool diagnose, const std::string& allowed_targets = "100.64.0.0/10:*") const {
    stack_options o{.env = {{"TSPROXY_TAILSCALE_SOCKET", tailscale_.socket_path().string()},
                            {"TSPROXY_TLS_CA_FILE", ca_.ca_cert().string()},
                            {"TSPROXY_ALLOWED_TARGETS", allowed_targets}}};
    if (diagnose) o.env.emplace_back("TSPROXY_DIAGNOSE", "true");
    return o;
  }
  static std::vector<std::string> diagnosing(std::vector<std::string> routing) {
    routing.insert(routing.end(), {"-H", "ts-diagnose: true"});
    return routing;
  }
  static std::vector<std::string> to(const std::string& name, std::uint16_t port) {
    return {"-H", "ts-target-host: " + name, "-H", "ts-target-port: " + std::to_string(port)};
  }

  // The named section of a diagnosis body (the whole answer for "").
  static section read(const std::string& body, const char* name) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(body).get(root)) return {"not JSON", body};
    simdjson::dom::element part = root;
    if (*name != '\0' && root[name].get(part)) return {"missing", body};
    std::string_view result, verdict;
    if (part["result"].get(result) || part["verdict"].get(verdict)) return {"malformed", body};
    return {std::string(result), std::string(verdict)};
  }
};

TEST_F(DiagnoseE2e, AReachablePeerOverTlsIsOkInEverySectionAndNeverReceivesTheRequest) {
  local_stack stack(tailscale_.socks_address(), options(true));
  // The address of the peer web, verified as upstream.test (a name its certificate carries).
  const auto r = stack.request(
      "/echo",
      diagnosing({"-H", "ts-target-ip: 100.64.0.5", "-H", "ts-target-host: upstream.test", "-H",
                  "ts-target-port: " + std::to_string(upstream_.tls_port()), "-H", "ts-https: true"}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("ts-diagnose"), "true");
  EXPECT_EQ(r.header("content-type"), "application/json");
  for (const char* name : {"tailscale", "resolution", "ping", "connection", "pool", ""}) {
    const auto s = read(r.body, name);
    EXPECT_EQ(s.result, "ok") << name << ": " << s.verdict << "\n" << r.body;
    EXPECT_FALSE(s.verdict.empty()) << name;
  }
  EXPECT_NE(read(r.body, "resolution").verdict.find("web.tailnet.ts.net, which is online"), std::string::npos)
      << r.body;
  EXPECT_NE(read(r.body, "ping").verdict.find("relayed through DERP region fra"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find(R"("names":["localhost","upstream.test","127.0.0.1","::1"])"), std::string::npos)
      << "the certificate's names: " << r.body;
  EXPECT_NE(r.body.find(R"("derpHome":"fra")"), std::string::npos) << r.body;
  EXPECT_EQ(upstream_.requests_served(), 0u) << "a diagnosis forwarded the request";
  EXPECT_EQ(tailscale_.connects_to("100.64.0.5:" + std::to_string(upstream_.tls_port())), 1u)
      << "one trial connection";
}

TEST_F(DiagnoseE2e, InStreamingModeACertificateWithoutTheNameFailsTheConnection) {
  auto o = options(true);
  o.invoke_mode = "response_stream";
  local_stack stack(tailscale_.socks_address(), o);
  const auto r = stack.request(
      "/", diagnosing({"-H", "ts-target-ip: 100.64.0.5", "-H", "ts-target-host: elsewhere.test", "-H",
                       "ts-target-port: " + std::to_string(upstream_.tls_port()), "-H", "ts-https: true"}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("ts-diagnose"), "true");
  const auto connection = read(r.body, "connection");
  EXPECT_EQ(connection.result, "failed") << r.body;
  EXPECT_NE(connection.verdict.find("the TLS handshake failed"), std::string::npos) << connection.verdict;
  EXPECT_NE(connection.verdict.find("does not name elsewhere.test"), std::string::npos) << connection.verdict;
  EXPECT_EQ(read(r.body, "ping").result, "ok") << "the peer itself answers: " << r.body;
  EXPECT_NE(r.body.find(R"("magicDns":false)"), std::string::npos)
      << "found by address, not by name: " << r.body;
  EXPECT_EQ(read(r.body, "").verdict, connection.verdict);
}

TEST_F(DiagnoseE2e, AMagicDnsNameResolvesToItsPeerAndAPlainTargetNeedsNoTls) {
  local_stack stack(tailscale_.socks_address(), options(true));
  const auto r = stack.request("/", diagnosing(to("web", upstream_.port())));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(read(r.body, "").result, "ok") << r.body;
  EXPECT_NE(r.body.find(R"("addresses":["100.64.0.5"],"magicDns":true)"), std::string::npos) << r.body;
  EXPECT_NE(read(r.body, "connection").verdict.find("plain HTTP"), std::string::npos) << r.body;
}

TEST_F(DiagnoseE2e, AnUnknownNameIsSaidNotToResolveAndNothingIsDialled) {
  local_stack stack(tailscale_.socks_address(), options(true));
  const auto r = stack.request("/", diagnosing(to("nowhere", upstream_.port())));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto resolution = read(r.body, "resolution");
  EXPECT_EQ(resolution.result, "failed") << r.body;
  EXPECT_NE(resolution.verdict.find("does not resolve"), std::string::npos) << resolution.verdict;
  EXPECT_EQ(read(r.body, "").verdict, resolution.verdict) << "the overall verdict is the first failure";
  EXPECT_EQ(read(r.body, "tailscale").result, "ok") << r.body;
  EXPECT_EQ(read(r.body, "connection").result, "skipped") << r.body;
  EXPECT_EQ(tailscale_.connects(), 0u);
}

TEST_F(DiagnoseE2e, AnOfflinePeerIsSaidToBeOfflineWithWhenItWasLastSeen) {
  local_stack stack(tailscale_.socks_address(), options(true));
  const auto r = stack.request("/", diagnosing(to("db.tailnet.ts.net", upstream_.port())));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto resolution = read(r.body, "resolution");
  EXPECT_EQ(resolution.result, "failed") << r.body;
  EXPECT_NE(resolution.verdict.find("offline (last seen 2026-11-30T08:15:00Z)"), std::string::npos)
      << resolution.verdict;
  const auto ping = read(r.body, "ping");
  EXPECT_EQ(ping.result, "failed") << r.body;
  EXPECT_NE(ping.verdict.find("no pong from 100.64.0.6"), std::string::npos) << ping.verdict;
  EXPECT_EQ(read(r.body, "connection").result, "skipped") << r.body;
}

TEST_F(DiagnoseE2e, ANameLeadingWhereTheAllowListRefusesIsDiagnosedNoFurther) {
  local_stack stack(tailscale_.socks_address(), options(true, "100.64.0.6:*"));
  const auto r = stack.request("/", diagnosing(to("web", upstream_.port())));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto resolution = read(r.body, "resolution");
  EXPECT_EQ(resolution.result, "failed") << r.body;
  EXPECT_NE(resolution.verdict.find("(TargetNotAllowed)"), std::string::npos) << resolution.verdict;
  EXPECT_NE(r.body.find(R"("peer":null)"), std::string::npos) << "nothing said of the peer: " << r.body;
  EXPECT_NE(r.body.find(R"("addresses":[])"), std::string::npos) << "where the name leads: " << r.body;
  EXPECT_EQ(r.body.find("100.64.0.5"), std::string::npos) << "where the name leads: " << r.body;
  EXPECT_EQ(read(r.body, "ping").result, "skipped") << r.body;
  EXPECT_EQ(tailscale_.connects(), 0u);
}

// The caller chooses the server name of an address target: naming the offline peer db there must not
// describe db, nor skip the trial connection to the address that is actually dialled.
TEST_F(DiagnoseE2e, AnAddressTargetNamedAsAnotherPeerIsDiagnosedAsTheAddressesPeer) {
  local_stack stack(tailscale_.socks_address(), options(true, "100.64.0.5:*"));
  const auto r =
      stack.request("/", diagnosing({"-H", "ts-target-ip: 100.64.0.5", "-H", "ts-target-host: db", "-H",
                                     "ts-target-port: " + std::to_string(upstream_.port())}));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("100.64.0.6"), std::string::npos) << "db's address: " << r.body;
  EXPECT_EQ(r.body.find(R"("hostName":"db")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("hostName":"web")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("magicDns":false)"), std::string::npos) << r.body;
  EXPECT_EQ(read(r.body, "connection").result, "ok") << r.body;
  EXPECT_EQ(tailscale_.connects_to("100.64.0.5:" + std::to_string(upstream_.port())), 1u) << r.body;
}

TEST_F(DiagnoseE2e, WithoutTsproxyDiagnoseTheCallerGets403AndABadValue400) {
  local_stack stack(tailscale_.socks_address(), options(false));
  const auto r = stack.request("/echo", diagnosing(to("web", upstream_.port())));
  EXPECT_TRUE(is_proxy_error(r, 403, "DiagnoseNotAllowed")) << r.body;
  EXPECT_EQ(upstream_.requests_served(), 0u);
  auto bad = to("web", upstream_.port());
  bad.insert(bad.end(), {"-H", "ts-diagnose: yes"});
  EXPECT_TRUE(is_proxy_error(stack.request("/echo", bad), 400, "InvalidDiagnose"));
  // So that the test can fail: the same target without ts-diagnose is forwarded.
  EXPECT_EQ(stack.request("/echo", to("web", upstream_.port())).status, 200);
  EXPECT_EQ(upstream_.requests_served(), 1u);
}

}  // namespace
}  // namespace tsproxy::test
