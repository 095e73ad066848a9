#include "adapter/routing.hpp"

#include <gtest/gtest.h>

#include <initializer_list>

#include "test_support.hpp"

namespace tsproxy::lambda {
namespace {

function_url_request make_request(std::initializer_list<header_view> headers,
                                  std::initializer_list<std::string_view> cookies = {}) {
  function_url_request r;
  r.method = "GET";
  r.raw_path = "/p";
  r.headers = headers;
  r.cookies = cookies;
  return r;
}

// Forwarded headers as "name: value" lines, for readable whole-list comparisons.
std::vector<std::string> lines(const routed_request& out) {
  std::vector<std::string> result;
  for (const auto& h : out.headers) result.push_back(std::string(h.name) + ": " + std::string(h.value));
  return result;
}

std::optional<std::string_view> find(const routed_request& out, std::string_view name) {
  for (const auto& h : out.headers) {
    if (h.name == name) return h.value;
  }
  return std::nullopt;
}

void expect_error(const function_url_request& r, int status, std::string_view name,
                  const allow_list* allowed = nullptr) {
  routed_request out;
  const auto error = route_request(r, allowed, out);
  ASSERT_TRUE(error.has_value()) << "expected " << name;
  EXPECT_EQ(error->status, status);
  EXPECT_EQ(error->name, name) << error->message;
  EXPECT_FALSE(error->message.empty());
}

TEST(Routing, ForwardsTheFixtureEventExactly) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("get_with_query.json"), r));
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.target.host, "100.101.102.103");
  EXPECT_EQ(out.target.port, 8080);
  EXPECT_FALSE(out.target.tls);
  EXPECT_EQ(out.target.server_name, "");
  EXPECT_EQ(out.request_target, "/api/v1/items?a=1&b=%20x%2F");
  EXPECT_EQ(out.metric_service, "grafana");
  const std::vector<std::string> expected = {
      "host: 100.101.102.103:8080",
      "accept: application/json",
      "accept-encoding: gzip, deflate, br",
      "user-agent: agent/1.0",
      "x-amzn-tls-cipher-suite: ECDHE-RSA-AES128-GCM-SHA256",
      "x-amzn-tls-version: TLSv1.2",
      "x-amzn-trace-id: Root=1-65f0a7ee-5f302e550dcde3b12402207d",
      "x-forwarded-for: 198.51.100.7",
      "x-forwarded-port: 443",
      "x-forwarded-proto: https",
      "x-custom: line \"quoted\" \xc3\xa9\xe4\xb8\xad",
      "cookie: session=abc123; theme=dark",
  };
  EXPECT_EQ(lines(out), expected);
}

TEST(Routing, HostTargetFromBase64Fixture) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("post_base64_all_bytes.json"), r));
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.target.host, "files.tailnet-abc.ts.net");
  EXPECT_EQ(out.target.port, 443);
  EXPECT_TRUE(out.target.tls);
  EXPECT_EQ(out.target.server_name, "files.tailnet-abc.ts.net");
  EXPECT_EQ(find(out, "host"), "files.tailnet-abc.ts.net");
  EXPECT_FALSE(find(out, "content-length"));
  EXPECT_EQ(find(out, "content-type"), "application/octet-stream");
  EXPECT_EQ(out.request_target, "/upload");
}

TEST(Routing, RemovesCallHeadersAndRestoresTsVariants) {
  const auto r = make_request({
      {"authorization", "AWS4-HMAC-SHA256 caller"},
      {"x-amz-date", "20240101T000000Z"},
      {"x-amz-security-token", "token"},
      {"x-amz-content-sha256", "UNSIGNED-PAYLOAD"},
      {"host", "abc.lambda-url.us-east-1.on.aws"},
      {"ts-target-ip", "100.64.0.1"},
      {"ts-target-port", "80"},
      {"ts-authorization", "Bearer target-token"},
      {"ts-x-amz-date", "20240202T000000Z"},
      {"ts-x-amz-content-sha256", "abc123"},
      {"ts-host", "internal.example:8080"},
      {"ts-x-amz-security-token", "not restored"},
      {"ts-unknown", "dropped"},
      {"x-kept", "yes"},
  });
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  const std::vector<std::string> expected = {
      "host: internal.example:8080",        "x-kept: yes",
      "authorization: Bearer target-token", "x-amz-date: 20240202T000000Z",
      "x-amz-content-sha256: abc123",
  };
  EXPECT_EQ(lines(out), expected);
}

TEST(Routing, DropsHopByHopHeadersAndConnectionTokens) {
  const auto r = make_request({
      {"ts-target-ip", "100.64.0.1"},
      {"ts-target-port", "80"},
      {"connection", "keep-alive, X-Secret ,x-other"},
      {"keep-alive", "timeout=5"},
      {"transfer-encoding", "chunked"},
      {"te", "trailers"},
      {"trailer", "x-checksum"},
      {"upgrade", "websocket"},
      {"proxy-authorization", "Basic abc"},
      {"proxy-connection", "keep-alive"},
      {"content-length", "12"},
      {"x-secret", "hop"},
      {"X-Other", "hop too"},
      {"x-end-to-end", "kept"},
  });
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  const std::vector<std::string> expected = {"host: 100.64.0.1", "x-end-to-end: kept"};
  EXPECT_EQ(lines(out), expected);
}

TEST(Routing, HeaderNamesMatchCaseInsensitively) {
  const auto r = make_request({
      {"TS-Target-IP", "100.64.0.1"},
      {"Ts-Target-Port", "8443"},
      {"TS-HTTPS", "TRUE"},
      {"Authorization", "caller"},
      {"Proxy-Authorization", "x"},
      {"TS-Authorization", "restored"},
  });
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_TRUE(out.target.tls);
  EXPECT_EQ(out.target.port, 8443);
  const std::vector<std::string> expected = {"host: 100.64.0.1:8443", "authorization: restored"};
  EXPECT_EQ(lines(out), expected);
}

TEST(Routing, TlsDefaultsToPort443AndTsHttpsOverrides) {
  struct tls_case {
    std::string_view port;
    std::optional<std::string_view> https;
    bool tls;
    std::string_view host;
  };
  const tls_case cases[] = {
      {"443", std::nullopt, true, "100.64.0.1"},
      {"80", std::nullopt, false, "100.64.0.1"},
      {"8443", std::nullopt, false, "100.64.0.1:8443"},
      {"443", "false", false, "100.64.0.1:443"},
      {"80", "true", true, "100.64.0.1:80"},
      {"8443", "True", true, "100.64.0.1:8443"},
      {"443", "FALSE", false, "100.64.0.1:443"},
  };
  for (const auto& c : cases) {
    function_url_request r = make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", c.port}});
    if (c.https) r.headers.push_back({"ts-https", *c.https});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out)) << c.port;
    EXPECT_EQ(out.target.tls, c.tls) << c.port << " " << c.https.value_or("-");
    EXPECT_EQ(find(out, "host"), c.host) << c.port << " " << c.https.value_or("-");
    EXPECT_EQ(out.target.server_name, "");  // IP literal, no ts-host: no SNI
  }
}

TEST(Routing, Ipv6TargetsAreCanonicalAndBracketedInHost) {
  for (std::string_view ip : {"FD7A:115C:A1E0:0:0:0:0:1", "[fd7a:115c:a1e0::1]", "fd7a:115c:a1e0::1"}) {
    const auto r = make_request({{"ts-target-ip", ip}, {"ts-target-port", "8080"}});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out)) << ip;
    EXPECT_EQ(out.target.host, "fd7a:115c:a1e0::1");
    EXPECT_EQ(find(out, "host"), "[fd7a:115c:a1e0::1]:8080");
  }
  const auto r = make_request({{"ts-target-ip", "fd7a:115c:a1e0::1"}, {"ts-target-port", "443"}});
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(find(out, "host"), "[fd7a:115c:a1e0::1]");
  EXPECT_EQ(out.target.describe(), "https://[fd7a:115c:a1e0::1]:443");
}

TEST(Routing, Ipv4MappedIpv6BecomesIpv4) {
  const auto r = make_request({{"ts-target-ip", "::ffff:100.64.0.1"}, {"ts-target-port", "80"}});
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.target.host, "100.64.0.1");
  EXPECT_EQ(find(out, "host"), "100.64.0.1");
}

TEST(Routing, HostNameTargets) {
  const auto r =
      make_request({{"ts-target-host", "Grafana.Tailnet-ABC.ts.net."}, {"ts-target-port", "3000"}});
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.target.host, "grafana.tailnet-abc.ts.net");
  EXPECT_FALSE(out.target.tls);
  EXPECT_EQ(out.target.server_name, "");  // no TLS, no server name (keeps pool keys independent of it)
  EXPECT_EQ(find(out, "host"), "grafana.tailnet-abc.ts.net:3000");
}

TEST(Routing, IpAndHostTogetherConnectToIpAndVerifyName) {
  const auto r = make_request(
      {{"ts-target-ip", "100.64.0.9"}, {"ts-target-host", "db.tailnet.ts.net"}, {"ts-target-port", "443"}});
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.target.host, "100.64.0.9");
  EXPECT_EQ(out.target.server_name, "db.tailnet.ts.net");
  EXPECT_EQ(find(out, "host"), "db.tailnet.ts.net");
}

TEST(Routing, IpLiteralInTargetHostIsTreatedAsIp) {
  const auto r = make_request({{"ts-target-host", "100.64.0.9"}, {"ts-target-port", "443"}});
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.target.host, "100.64.0.9");
  EXPECT_EQ(out.target.server_name, "");
}

TEST(Routing, ServerNameFromTsHostForIpTargets) {
  struct sni_case {
    std::string_view ts_host;
    std::string_view server_name;
  };
  const sni_case cases[] = {
      {"api.internal.example", "api.internal.example"},
      {"API.internal.example:8443", "api.internal.example"},
      {"100.64.0.1:443", ""},
      {"[fd7a::1]:443", ""},
      {"fd7a::1", ""},  // a bare IPv6 literal, not the name "fd7a"
      {"", ""},
      {"not_a_dns_name", ""},
  };
  for (const auto& c : cases) {
    const auto r =
        make_request({{"ts-target-ip", "100.64.0.9"}, {"ts-target-port", "443"}, {"ts-host", c.ts_host}});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out)) << c.ts_host;
    EXPECT_EQ(out.target.server_name, c.server_name) << c.ts_host;
    EXPECT_EQ(find(out, "host"), c.ts_host);  // Host is ts-host verbatim
  }
}

TEST(Routing, MergesCookieHeaderAndCookiesArray) {
  {
    const auto r =
        make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}}, {"a=1", "b=2", "c=3"});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out));
    EXPECT_EQ(lines(out).back(), "cookie: a=1; b=2; c=3");
  }
  {
    const auto r =
        make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {"cookie", "z=0"}}, {"a=1"});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out));
    EXPECT_EQ(lines(out).back(), "cookie: z=0; a=1");
  }
  {
    const auto r = make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out));
    EXPECT_FALSE(find(out, "cookie"));
  }
}

TEST(Routing, MetricHeadersAreExposedNotForwarded) {
  const auto r = make_request({{"ts-target-ip", "100.64.0.1"},
                               {"ts-target-port", "80"},
                               {"ts-metric-service", "billing"},
                               {"ts-metric-dimension-name", "env"},
                               {"ts-metric-dimension-value", "prod"}});
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.metric_service, "billing");
  EXPECT_EQ(out.metric_dimension_name, "env");
  EXPECT_EQ(out.metric_dimension_value, "prod");
  EXPECT_EQ(out.headers.size(), 1u);  // only host
}

TEST(Routing, RequestTarget) {
  struct target_case {
    std::string_view path, query, expected;
  };
  const target_case cases[] = {
      {"/", "", "/"},
      {"", "", "/"},
      {"no-slash", "x=1", "/no-slash?x=1"},
      {"/a%20b/c", "q=%E2%9C%93&r", "/a%20b/c?q=%E2%9C%93&r"},
      {"/sp ace", "a b", "/sp%20ace?a%20b"},
      {"/ut\xc3\xa9", "", "/ut%C3%A9"},
      {"/a#b", "c#d", "/a%23b?c%23d"},
      {"/a?b", "c?d", "/a%3Fb?c?d"},
      {"/crlf\r\n", "x\r\n", "/crlf%0D%0A?x%0D%0A"},
  };
  for (const auto& c : cases) {
    function_url_request r = make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}});
    r.raw_path = c.path;
    r.raw_query = c.query;
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out));
    EXPECT_EQ(out.request_target, c.expected);
  }
}

TEST(Routing, RejectsMissingOrInvalidTarget) {
  expect_error(make_request({{"ts-target-port", "80"}}), 400, "MissingTargetIp");
  expect_error(make_request({{"ts-target-ip", "100.64.0.1"}}), 400, "MissingTargetPort");
  for (std::string_view ip : std::initializer_list<std::string_view>{
           "", "100.64.0", "100.64.0.256", "100.064.0.1", "1.2.3.4.5", "fd7a::1::2", "fe80::1%eth0",
           "localhost", " 100.64.0.1", "[100.64.0.1"}) {
    expect_error(make_request({{"ts-target-ip", ip}, {"ts-target-port", "80"}}), 400, "InvalidTargetIp");
  }
  const std::string long_label(64, 'a');
  const std::string long_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                std::string(63, 'c') + "." + std::string(62, 'd');  // 254 bytes
  for (std::string_view host :
       {std::string_view(""), std::string_view("under_score.ts.net"), std::string_view("-lead.ts.net"),
        std::string_view("trail-.ts.net"), std::string_view("double..dot"), std::string_view(".lead"),
        std::string_view("two.trailing.dots.."), std::string_view(".."), std::string_view("sp ace"),
        std::string_view("a.b:80"), std::string_view(long_label), std::string_view(long_name),
        std::string_view("[fd7a::1")}) {
    expect_error(make_request({{"ts-target-host", host}, {"ts-target-port", "80"}}), 400,
                 "InvalidTargetHost");
  }
  for (std::string_view port :
       {"", "0", "65536", "99999", "+80", "-1", "8o", " 80", "80 ", "443,443", "100000"}) {
    expect_error(make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", port}}), 400,
                 "InvalidTargetPort");
  }
  for (std::string_view https : {"", "yes", "1", "on", "truee"}) {
    expect_error(
        make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {"ts-https", https}}), 400,
        "InvalidHttps");
  }
}

TEST(Routing, TsDiagnoseIsTrueOrFalseInAnyCaseAndNeverForwarded) {
  const std::pair<std::string_view, bool> cases[] = {{"true", true}, {"TRUE", true}, {"False", false}};
  for (const auto& [value, wanted] : cases) {
    const auto r =
        make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {"ts-diagnose", value}});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out)) << value;
    EXPECT_EQ(out.diagnose, wanted) << value;
    for (const auto& h : out.headers) EXPECT_NE(h.name, "ts-diagnose");
  }
  for (std::string_view value : {"", "yes", "1"}) {
    expect_error(
        make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {"ts-diagnose", value}}), 400,
        "InvalidDiagnose");
  }
}

TEST(Routing, AcceptsBoundaryTargets) {
  const std::string label63(63, 'a');
  const std::string name253 = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                              "." + std::string(61, 'd');
  ASSERT_EQ(name253.size(), 253u);
  for (const std::string& host : {label63, name253, std::string("x"), std::string("1-2.ts.net")}) {
    const auto r = make_request({{"ts-target-host", host}, {"ts-target-port", "65535"}});
    routed_request out;
    ASSERT_FALSE(route_request(r, nullptr, out)) << host;
    EXPECT_EQ(out.target.host, host);
    EXPECT_EQ(out.target.port, 65535);
  }
  const auto r = make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "00001"}});
  routed_request out;
  ASSERT_FALSE(route_request(r, nullptr, out));
  EXPECT_EQ(out.target.port, 1);
}

TEST(Routing, RejectsHeaderInjectionAndBadNames) {
  for (std::string_view value : std::initializer_list<std::string_view>{"a\r\nx-injected: 1", "a\nb", "a\rb",
                                                                        std::string_view("a\0b", 3)}) {
    expect_error(make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {"x-h", value}}),
                 400, "HeaderInjection");
    // Also in headers that would be dropped or restored.
    expect_error(make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {"ts-host", value}}),
                 400, "HeaderInjection");
    expect_error(make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}}, {"a=1", value}),
                 400, "HeaderInjection");
  }
  for (std::string_view name : {"", "bad name", "bad:name", "x-\xc3\xa9", "a\r\nb", "(paren)", "x-h\t"}) {
    expect_error(make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {name, "v"}}), 400,
                 "InvalidHeaderName");
  }
  function_url_request r = make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}});
  for (std::string_view method : {"", "GET /x HTTP/1.1\r\n", "G T"}) {
    r.method = method;
    expect_error(r, 400, "InvalidMethod");
  }
  // Tabs and other non-breaking controls in values are passed through to the target.
  const auto ok = make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}, {"x-h", "a\tb"}});
  routed_request out;
  EXPECT_FALSE(route_request(ok, nullptr, out));
}

TEST(Routing, ResetsOutputBetweenRequests) {
  routed_request out;
  ASSERT_FALSE(route_request(
      make_request({{"ts-target-host", "a.ts.net"}, {"ts-target-port", "443"}, {"ts-metric-service", "s"}},
                   {"c=1"}),
      nullptr, out));
  ASSERT_FALSE(
      route_request(make_request({{"ts-target-ip", "100.64.0.1"}, {"ts-target-port", "80"}}), nullptr, out));
  EXPECT_EQ(out.target.server_name, "");
  EXPECT_EQ(out.metric_service, "");
  const std::vector<std::string> expected = {"host: 100.64.0.1"};
  EXPECT_EQ(lines(out), expected);
}

TEST(Routing, SandboxAddressesAreRefusedByDefault) {
  // Inside Lambda the Runtime API is on loopback and tailscaled dials non-tailnet addresses locally.
  for (const std::string_view ip : {"127.0.0.1", "127.255.0.9", "::1", "[::1]", "::ffff:127.0.0.1",
                                    "169.254.169.254", "fe80::1", "0.0.0.0", "0.1.2.3", "::"}) {
    expect_error(make_request({{"ts-target-ip", ip}, {"ts-target-port", "9001"}}), 403,
                 "SandboxTargetNotAllowed");
  }
  for (const std::string_view host : {"localhost", "LOCALHOST.", "runtime.localhost"}) {
    expect_error(make_request({{"ts-target-host", host}, {"ts-target-port", "9001"}}), 403,
                 "SandboxTargetNotAllowed");
  }
  // Addresses next to those blocks are ordinary targets.
  routed_request out;
  for (const std::string_view ip : {"128.0.0.1", "169.253.255.255", "100.64.0.1", "fe00::1", "::2"}) {
    EXPECT_FALSE(route_request(make_request({{"ts-target-ip", ip}, {"ts-target-port", "80"}}), nullptr, out))
        << ip;
  }
  EXPECT_FALSE(route_request(
      make_request({{"ts-target-host", "localhost.example"}, {"ts-target-port", "80"}}), nullptr, out));
}

TEST(Routing, OnlyAnAllowListEntryInsideTheSandboxAdmitsASandboxAddress) {
  std::string error;
  const auto everything = *allow_list::parse("0.0.0.0/0:*,[::/0]:*", error);
  expect_error(make_request({{"ts-target-ip", "127.0.0.1"}, {"ts-target-port", "9001"}}), 403,
               "SandboxTargetNotAllowed", &everything);
  const auto loopback = *allow_list::parse("127.0.0.0/8:8080,[::1]:*,localhost:8080", error);
  routed_request out;
  EXPECT_FALSE(route_request(make_request({{"ts-target-ip", "127.0.0.5"}, {"ts-target-port", "8080"}}),
                             &loopback, out));
  EXPECT_FALSE(
      route_request(make_request({{"ts-target-ip", "::1"}, {"ts-target-port", "1"}}), &loopback, out));
  EXPECT_FALSE(route_request(make_request({{"ts-target-host", "localhost"}, {"ts-target-port", "8080"}}),
                             &loopback, out));
  // Not in the list at all: the list's own refusal.
  expect_error(make_request({{"ts-target-ip", "127.0.0.1"}, {"ts-target-port", "9001"}}), 403,
               "TargetNotAllowed", &loopback);
}

TEST(Routing, TargetOutsideTheAllowListIs403) {
  std::string error;
  const auto list = *allow_list::parse("100.64.0.0/10:443", error);
  expect_error(make_request({{"ts-target-ip", "100.128.0.1"}, {"ts-target-port", "443"}}), 403,
               "TargetNotAllowed", &list);
  routed_request out;
  EXPECT_FALSE(
      route_request(make_request({{"ts-target-ip", "100.127.0.1"}, {"ts-target-port", "443"}}), &list, out));
  // A name is judged by the addresses it resolves to, once resolved (check_resolved_address).
  EXPECT_FALSE(
      route_request(make_request({{"ts-target-host", "a.ts.net"}, {"ts-target-port", "443"}}), &list, out));
  // A mapped address cannot sidestep an IPv4 list: it is folded to IPv4 before the check.
  const auto v6_only = *allow_list::parse("[::/0]:*", error);
  expect_error(make_request({{"ts-target-ip", "::ffff:100.64.0.1"}, {"ts-target-port", "443"}}), 403,
               "TargetNotAllowed", &v6_only);
}

upstream_target named(std::string name, std::uint16_t port) {
  return {std::move(name), port};
}

TEST(ResolvedAddress, AnAddressInsideTheSandboxIsRefusedWhateverTheNameSays) {
  std::string error;
  const auto by_name = *allow_list::parse("evil.example:9001", error);
  for (const std::string_view address :
       {"127.0.0.1", "::1", "::ffff:127.0.0.1", "169.254.169.254", "0.0.0.0"}) {
    for (const allow_list* allowed : {static_cast<const allow_list*>(nullptr), &by_name}) {
      const auto refusal = check_resolved_address(named("evil.example", 9001), std::string(address), allowed);
      ASSERT_TRUE(refusal) << address;
      EXPECT_EQ(refusal->status, 403);
      EXPECT_EQ(refusal->name, "SandboxTargetNotAllowed") << address;
      EXPECT_NE(refusal->message.find("resolved to"), std::string::npos) << refusal->message;
    }
  }
  // Named by address inside the sandbox, the operator's word admits it.
  const auto loopback = *allow_list::parse("127.0.0.1:9001", error);
  EXPECT_FALSE(check_resolved_address(named("evil.example", 9001), "127.0.0.1", &loopback));
  EXPECT_TRUE(check_resolved_address(named("evil.example", 9002), "127.0.0.1", &loopback));
}

TEST(ResolvedAddress, ANameEntryOrAnAddressEntryAdmitsAResolvedName) {
  std::string error;
  const auto list = *allow_list::parse("grafana.tailnet.ts.net:443,100.64.0.0/10:8080", error);
  EXPECT_FALSE(check_resolved_address(named("grafana.tailnet.ts.net", 443), "100.101.0.1", &list));
  EXPECT_FALSE(check_resolved_address(named("grafana.tailnet.ts.net", 443), "8.8.8.8", &list))
      << "a name entry admits the name wherever it leads outside the sandbox";
  EXPECT_FALSE(check_resolved_address(named("db.tailnet.ts.net", 8080), "100.101.0.2", &list));
  const auto outside = check_resolved_address(named("db.tailnet.ts.net", 8080), "203.0.113.9", &list);
  ASSERT_TRUE(outside);
  EXPECT_EQ(outside->name, "TargetNotAllowed");
  const auto wrong_port = check_resolved_address(named("db.tailnet.ts.net", 443), "100.101.0.2", &list);
  ASSERT_TRUE(wrong_port);
  EXPECT_EQ(wrong_port->name, "TargetNotAllowed");
  EXPECT_FALSE(check_resolved_address(named("anything.example", 80), "203.0.113.9", nullptr));
}

TEST(BoundAddress, ALoopbackLocalAddressIsRefusedUnlessLoopbackWasDialled) {
  const auto loopback = asio::ip::make_address("127.0.0.1");
  const auto refusal = check_bound_address(named("100.64.0.5", 80), "100.64.0.5", loopback);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->name, "SandboxTargetNotAllowed");
  EXPECT_TRUE(check_bound_address(named("100.64.0.5", 80), "100.64.0.5", asio::ip::make_address("::1")));
  EXPECT_FALSE(check_bound_address(named("127.0.0.1", 80), "127.0.0.1", loopback));
  EXPECT_FALSE(
      check_bound_address(named("100.64.0.5", 80), "100.64.0.5", asio::ip::make_address("100.64.0.1")));
  EXPECT_FALSE(check_bound_address(named("100.64.0.5", 80), "100.64.0.5", asio::ip::address{}))
      << "a listener that names no bound address (0.0.0.0) says nothing";
}

}  // namespace
}  // namespace tsproxy::lambda
