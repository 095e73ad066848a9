// Security, end to end (the sandbox's own addresses are
// LambdaE2e.ACallerCannotReachTheRuntimeApiThroughTheProxy):
//  * no ts-* header, none of the Function URL call's credentials and no hop-by-hop header reaches a target,
//    whatever the case of their names and in both invoke modes;
//  * TLS verification is on by default and fails closed: a certificate that does not verify, for the chain
//    or the name, ends the connection before any request byte is sent;
//  * at the default log level neither credentials nor bodies appear in what the runtime and the emulator log.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "fault_matrix.hpp"

namespace tsproxy::test {
namespace {

// The request headers the upstream's /echo received, as "name: value" lines with lower-cased names.
std::vector<std::pair<std::string, std::string>> echoed_headers(std::string_view encoded) {
  const auto r =
      run_command({"python3", "-c",
                   "import base64,json,sys\n"
                   "for n,v in json.loads(base64.b64decode(sys.argv[1])): print(n.lower()+'\\t'+v)",
                   std::string(encoded)});
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t at = 0;
  while (at < r.out.size()) {
    const auto end = r.out.find('\n', at);
    const auto line = r.out.substr(at, end - at);
    const auto tab = line.find('\t');
    out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
    at = end == std::string::npos ? r.out.size() : end + 1;
  }
  return out;
}

// Header names that must never reach a target (beyond every ts-*).
const std::set<std::string> never_forwarded = {"authorization",
                                               "x-amz-date",
                                               "x-amz-security-token",
                                               "x-amz-content-sha256",
                                               "proxy-authorization",
                                               "keep-alive",
                                               "te",
                                               "upgrade",
                                               "x-hop-listed",
                                               "trailer"};

void expect_nothing_forbidden(const std::vector<std::pair<std::string, std::string>>& seen,
                              std::string_view expected_host) {
  ASSERT_FALSE(seen.empty()) << "the upstream echoed no headers";
  int hosts = 0;
  for (const auto& [name, value] : seen) {
    EXPECT_NE(name.rfind("ts-", 0), 0u) << name << " reached the target";
    EXPECT_EQ(never_forwarded.count(name), 0u) << name << ": " << value << " reached the target";
    EXPECT_EQ(value.find("SECRET"), std::string::npos) << name << ": " << value;
    if (name == "host") {
      ++hosts;
      EXPECT_EQ(value, expected_host);
    }
  }
  EXPECT_EQ(hosts, 1);
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](const auto& h) { return h.first == "x-custom"; }))
      << "an ordinary header was not forwarded either, so the test shows nothing";
}

class Security : public FaultMatrix {};

TEST_F(Security, NoRoutingCredentialOrHopByHopHeaderReachesTheTarget) {
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(socks_address(), {.invoke_mode = mode});
    const auto r = stack.request(
        "/echo",
        {"-H", "TS-Target-IP: 127.0.0.1",
         "-H", "Ts-Target-Port: " + std::to_string(python_.port()),
         "-H", "TS-HTTPS: false",
         "-H", "TS-Metric-Service: orders",
         "-H", "ts-unknown-header: SECRET-0",
         "-H", "Authorization: AWS4-HMAC-SHA256 Credential=SECRET-1/20261201/us-east-1/lambda/aws4_request",
         "-H", "X-Amz-Security-Token: SECRET-2",
         "-H", "X-Amz-Date: 20261201T000000Z",
         "-H", "X-Amz-Content-Sha256: SECRET-3",
         "-H", "Proxy-Authorization: Basic SECRET-4",
         "-H", "Connection: x-hop-listed",
         "-H", "X-Hop-Listed: SECRET-5",
         "-H", "Keep-Alive: timeout=5",
         "-H", "TE: trailers",
         "-H", "Upgrade: websocket",
         "-H", "x-custom: kept"});
    ASSERT_EQ(r.status, 200) << mode << ": " << r.body << stack.log();
    SCOPED_TRACE(mode);
    expect_nothing_forbidden(echoed_headers(r.header("x-echo-headers")),
                             "127.0.0.1:" + std::to_string(python_.port()));
  }
}

TEST_F(Security, EventsWithNamesInAnyCaseAreStrippedTheSameWay) {
  // Lambda lower-cases header names; an event from another source may not.
  local_stack stack(socks_address());
  const auto result = stack.invoke_raw(
      R"({"version":"2.0","rawPath":"/echo","rawQueryString":"","headers":{"TS-TARGET-IP":"127.0.0.1","Ts-Target-Port":")" +
      std::to_string(python_.port()) +
      R"(","Authorization":"AWS4-HMAC-SHA256 Credential=SECRET-1","X-AMZ-SECURITY-TOKEN":"SECRET-2","X-Amz-Date":"x","X-Amz-Content-SHA256":"SECRET-3","TS-Authorization":"Bearer for-the-target","TS-HOST":"named.example","TS-Whatever":"SECRET-0","Proxy-Authorization":"Basic SECRET-4","Connection":"X-Hop-Listed","X-HOP-LISTED":"SECRET-5","Keep-Alive":"timeout=5","TE":"trailers","Upgrade":"websocket","Trailer":"x","x-custom":"kept"},"requestContext":{"http":{"method":"GET"}},"isBase64Encoded":false})");
  ASSERT_NE(result.find(R"("statusCode":200)"), std::string::npos) << result;
  const auto marker = std::string(R"("x-echo-headers":")");
  const auto at = result.find(marker);
  ASSERT_NE(at, std::string::npos) << result;
  const auto encoded =
      result.substr(at + marker.size(), result.find('"', at + marker.size()) - at - marker.size());
  auto seen = echoed_headers(encoded);
  // The ts- form is restored under the plain name, and only it.
  const auto authorization =
      std::find_if(seen.begin(), seen.end(), [](auto& h) { return h.first == "authorization"; });
  ASSERT_NE(authorization, seen.end());
  EXPECT_EQ(authorization->second, "Bearer for-the-target");
  seen.erase(authorization);
  expect_nothing_forbidden(seen, "named.example");
}

TEST_F(Security, NoSandboxAddressInAnyFormIsReachableByDefault) {
  // The upstream listens on loopback: had any of these reached it, it would have counted a request.
  local_stack stack(socks_address(), {.env = {{"TSPROXY_ALLOWED_TARGETS", ""}}});
  const auto port = std::to_string(python_.port());
  const std::vector<std::vector<std::string>> forms = {
      {"ts-target-ip: 127.0.0.1"},        {"ts-target-ip: 127.1.2.3"},
      {"ts-target-ip: ::ffff:127.0.0.1"}, {"ts-target-ip: [::ffff:7f00:1]"},
      {"ts-target-ip: 0.0.0.0"},          {"ts-target-ip: [::1]"},
      {"ts-target-host: localhost"},      {"ts-target-host: LocalHost."},
      {"ts-target-host: api.localhost"},  {"ts-target-host: 127.0.0.1"},
      {"ts-target-ip: 169.254.169.254"},  {"ts-target-host: 100.64.0.1", "ts-target-ip: 127.0.0.1"}};
  for (const auto& form : forms) {
    std::vector<std::string> args{"-H", "ts-target-port: " + port};
    for (const auto& h : form) args.insert(args.end(), {"-H", h});
    const auto r = stack.request("/echo", args);
    EXPECT_TRUE(is_proxy_error(r, 403, "SandboxTargetNotAllowed")) << form.front();
  }
  EXPECT_EQ(python_.requests_served(), 0u) << "a sandbox address was reached";
  // Named by the operator, the same loopback target is served (so this test can fail).
  local_stack named(socks_address(), {.env = {{"TSPROXY_ALLOWED_TARGETS", "127.0.0.1:" + port}}});
  EXPECT_EQ(named.request("/echo", to_python()).status, 200);
  EXPECT_EQ(python_.requests_served(), 1u);
}

// ---- TLS verification ----------------------------------------------------------------------------------

class TlsVerification : public FaultMatrix {
 protected:
  const test_ca& ca_ = test_ca::instance();
  python_upstream good_{{.tls_cert = ca_.server_cert(), .tls_key = ca_.server_key()}};
  python_upstream untrusted_{{.tls_cert = ca_.untrusted_cert(), .tls_key = ca_.untrusted_key()}};
  python_upstream wrong_name_{{.tls_cert = ca_.wrong_name_cert(), .tls_key = ca_.wrong_name_key()}};

  env_vars trusting_the_test_ca() const { return {{"TSPROXY_TLS_CA_FILE", ca_.ca_cert().string()}}; }
  static std::vector<std::string> https_to(const python_upstream& u, std::vector<std::string> extra = {}) {
    auto args = local_stack::route_to(u.host(), u.tls_port(), true);
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  // A TLS failure (502 TlsError) with not one request reaching the target.
  static void expect_failed_closed(const local_stack& stack, const python_upstream& target,
                                   const std::vector<std::string>& args) {
    const auto r = stack.request("/echo", args);
    EXPECT_TRUE(is_proxy_error(r, 502, "TlsError"));
    EXPECT_TRUE(r.body.find("hello") == std::string::npos);
    EXPECT_EQ(target.tls_accepted(), 0u) << "a TLS session was established";
    EXPECT_EQ(target.requests_served(), 0u) << "a request reached the target";
  }
};

TEST_F(TlsVerification, TheTestCaIsTrustedOnlyWhenConfigured) {
  local_stack by_default(socks_address());
  const pid_t pid = by_default.bootstrap_pid();
  // The system's CA bundle does not know the test CA: the default verifies, so this fails closed.
  expect_failed_closed(by_default, good_, https_to(good_));
  EXPECT_TRUE(keeps_serving(by_default, pid, python_));
  // So that the test can fail: with the test CA the same target is served.
  local_stack trusting(socks_address(), {.env = trusting_the_test_ca()});
  const auto r = trusting.request("/echo", https_to(good_, {"-X", "POST", "--data-binary", "hello"}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "hello");
}

TEST_F(TlsVerification, AnUntrustedCertificateFailsClosed) {
  local_stack stack(socks_address(), {.env = trusting_the_test_ca()});
  const pid_t pid = stack.bootstrap_pid();
  expect_failed_closed(stack, untrusted_, https_to(untrusted_));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(TlsVerification, ACertificateForAnotherNameFailsClosed) {
  local_stack stack(socks_address(), {.env = trusting_the_test_ca()});
  const pid_t pid = stack.bootstrap_pid();
  expect_failed_closed(stack, wrong_name_, https_to(wrong_name_));
  // A valid certificate, but not for the name the caller asked for.
  expect_failed_closed(stack, good_, https_to(good_, {"-H", "ts-target-host: other.test"}));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(TlsVerification, TurningVerificationOffIsExplicit) {
  local_stack stack(socks_address(), {.env = {{"TSPROXY_TLS_VERIFY", "false"}}});
  const auto r = stack.request("/echo", https_to(untrusted_, {"-X", "POST", "--data-binary", "hello"}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "hello");
}

// ---- logs ----------------------------------------------------------------------------------------------

class SecretsInLogs : public FaultMatrix {
 protected:
  // Every secret-looking value the requests below carry, in headers, cookies, query and bodies.
  static constexpr std::string_view markers[] = {"AKIDSECRETMARKER",   "TOKENSECRETMARKER",
                                                 "BEARERSECRETMARKER", "COOKIESECRETMARKER",
                                                 "QUERYSECRETMARKER",  "BODYSECRETMARKER"};
  static std::vector<std::string> secrets() {
    return {
        "-H",
        "authorization: AWS4-HMAC-SHA256 Credential=AKIDSECRETMARKER/20261201/us-east-1/lambda/aws4_request",
        "-H",
        "x-amz-security-token: TOKENSECRETMARKER",
        "-H",
        "ts-authorization: Bearer BEARERSECRETMARKER",
        "-H",
        "cookie: session=COOKIESECRETMARKER",
        "-H",
        "ts-metric-service: orders",
        "-X",
        "POST",
        "--data-binary",
        "BODYSECRETMARKER"};
  }
  static void expect_no_secret(const std::string& log) {
    for (const auto marker : markers)
      EXPECT_EQ(log.find(marker), std::string::npos) << marker << " in\n" << log;
  }
};

TEST_F(SecretsInLogs, NeitherCredentialsNorBodiesAreLoggedAtTheDefaultLevel) {
  for (const std::string mode : {"buffered", "response_stream"}) {
    SCOPED_TRACE(mode);
    local_stack stack(socks_address(), {.invoke_mode = mode});
    auto with = [](std::vector<std::string> route) {
      const auto s = secrets();
      route.insert(route.end(), s.begin(), s.end());
      return route;
    };
    const auto to_upstream = local_stack::route_to(python_.host(), python_.port());
    // Served, refused by the target's port, cut mid-body, refused for its routing, for its target, and a
    // raw event that is no Function URL event.
    EXPECT_EQ(stack.request("/echo?key=QUERYSECRETMARKER", with(to_upstream)).status, 200);
    EXPECT_EQ(
        stack
            .request("/echo?key=QUERYSECRETMARKER", with(local_stack::route_to("127.0.0.1", free_tcp_port())))
            .status,
        502);
    stack.request("/reset-mid-body?n=100000&key=QUERYSECRETMARKER", with(to_upstream));
    EXPECT_EQ(stack.request("/echo?key=QUERYSECRETMARKER", with({"-H", "ts-target-ip: 127.0.0.1"})).status,
              400);
    EXPECT_EQ(stack.request("/echo?key=QUERYSECRETMARKER", with(local_stack::route_to("169.254.169.254", 80)))
                  .status,
              403);
    stack.invoke_raw(
        R"({"version":"2.0","body":"BODYSECRETMARKER","headers":{"authorization":"AKIDSECRETMARKER")");
    stack.invoke_raw(
        R"({"version":"2.0","rawPath":"/echo","headers":{"ts-target-ip":"127.0.0.1","ts-target-port":"1","x-a":"TOKENSECRETMARKER\r\n"},"requestContext":{"http":{"method":"GET"}},"body":"BODYSECRETMARKER"})");
    const auto log = stack.log();
    // The failures were logged (so the log is the one that would show a leak) ...
    EXPECT_NE(log.find("upstream failed"), std::string::npos) << log;
    EXPECT_NE(log.find("invalid event"), std::string::npos) << log;
    EXPECT_NE(log.find("\"service\":\"orders\""), std::string::npos) << "metric lines are part of the log";
    // ... without a secret in them.
    expect_no_secret(log);
  }
}

TEST_F(SecretsInLogs, TheSocksPasswordIsNotLoggedWhenItIsRefused) {
  microsocks_server with_auth({.username = "proxyuser", .password = "right-password"});
  local_stack stack(with_auth.host() + ":" + std::to_string(with_auth.port()),
                    {.env = {{"TSPROXY_SOCKS5_USERNAME", "proxyuser"},
                             {"TSPROXY_SOCKS5_PASSWORD", "PASSWORDSECRETMARKER"}}});
  EXPECT_TRUE(is_proxy_error(stack.request("/echo", to_python()), 502, "Socks5AuthFailed"));
  EXPECT_NE(stack.log().find("Socks5AuthFailed"), std::string::npos) << stack.log();
  EXPECT_EQ(stack.log().find("PASSWORDSECRETMARKER"), std::string::npos) << stack.log();
}

}  // namespace
}  // namespace tsproxy::test
