// End to end, all real processes: curl → tsproxy-local (Lambda + Function URL) → bootstrap →
// SOCKS5 listener → upstream (nginx, or the misbehaving Python upstream).

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

std::string all_byte_values(std::size_t repeat) {
  std::string s;
  for (std::size_t r = 0; r < repeat; ++r) {
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  }
  return s;
}

// The request headers the Python /echo upstream received, as "name: value" lines (lower-cased names).
std::string echoed_headers(const http_reply& reply) {
  const auto encoded = reply.header("x-echo-headers");
  const auto r = run_command({"python3", "-c",
                              "import base64,json,sys\n"
                              "for n,v in json.loads(base64.b64decode(sys.argv[1])): print(n.lower()+': '+v)",
                              encoded});
  return r.out;
}

class LambdaE2e : public ::testing::Test {
 protected:
  microsocks_server socks_;
  nginx_server nginx_;
  python_upstream python_;
  std::string socks_address() const { return socks_.host() + ":" + std::to_string(socks_.port()); }
  std::vector<std::string> to_python(std::vector<std::string> extra = {}) const {
    auto args = local_stack::route_to(python_.host(), python_.port());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::vector<std::string> to_nginx(std::vector<std::string> extra = {}) const {
    auto args = local_stack::route_to(nginx_.host(), nginx_.http_port());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

TEST_F(LambdaE2e, QueryStringWithEncodedCharactersArrivesUnchanged) {
  local_stack stack(socks_address());
  const auto r = stack.request("/echo?a=1&b=%20x%2F&c=%E2%9C%93&d=a+b", to_python());
  ASSERT_EQ(r.status, 200) << r.body << stack.log();
  EXPECT_EQ(r.header("x-echo-target"), "/echo?a=1&b=%20x%2F&c=%E2%9C%93&d=a+b");
}

TEST_F(LambdaE2e, BinaryRequestAndResponseBodiesAreByteExact) {
  local_stack stack(socks_address());
  temp_dir dir;
  const std::string bytes = all_byte_values(64);
  write_file(dir / "body", bytes);
  const auto r =
      stack.request("/echo", to_python({"-X", "POST", "-H", "content-type: application/octet-stream",
                                        "--data-binary", "@" + (dir / "body").string()}));
  ASSERT_EQ(r.status, 200) << stack.log();
  EXPECT_EQ(r.body, bytes);
  const auto nginx_binary = stack.request("/binary", to_nginx());
  ASSERT_EQ(nginx_binary.status, 200);
  EXPECT_EQ(nginx_binary.body, nginx_server::file_content("binary"));
}

TEST_F(LambdaE2e, CookiesTravelBothWays) {
  local_stack stack(socks_address());
  const auto r = stack.request("/echo", to_python({"-H", "cookie: a=1; b=2", "-H", "cookie: c=3"}));
  ASSERT_EQ(r.status, 200) << stack.log();
  const auto seen = echoed_headers(r);
  EXPECT_NE(seen.find("cookie: a=1; b=2; c=3"), std::string::npos) << seen;
  const auto set = stack.request("/set-cookies", to_python());
  ASSERT_EQ(set.status, 200);
  EXPECT_EQ(set.all("set-cookie").size(), 3u);
}

TEST_F(LambdaE2e, CredentialsAndRoutingHeadersNeverReachTheTarget) {
  local_stack stack(socks_address());
  const auto r =
      stack.request("/echo", to_python({"-H", "authorization: AWS4-HMAC-SHA256 Credential=SECRET", "-H",
                                        "x-amz-security-token: TOKEN", "-H", "x-amz-date: 20261123T000000Z",
                                        "-H", "ts-metric-service: orders", "-H",
                                        "ts-authorization: Bearer for-the-target", "-H", "x-custom: kept"}));
  ASSERT_EQ(r.status, 200) << stack.log();
  const auto seen = echoed_headers(r);
  EXPECT_EQ(seen.find("SECRET"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("TOKEN"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("ts-"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("x-amz-date"), std::string::npos) << seen;
  EXPECT_NE(seen.find("authorization: Bearer for-the-target"), std::string::npos) << seen;
  EXPECT_NE(seen.find("x-custom: kept"), std::string::npos) << seen;
  // One metric line per request was emitted for the service.
  EXPECT_NE(stack.log().find("\"service\":\"orders\""), std::string::npos);
}

// The number `name` on the first log line holding `marker`, after the marker (NaN when there is none).
double log_number(const std::string& log, const std::string& marker, std::string_view name) {
  const auto at = log.find(marker);
  if (at == std::string::npos) return std::nan("");
  const auto line = log.substr(at, log.find('\n', at) - at);
  const auto key = line.find("\"" + std::string(name) + "\":");
  if (key == std::string::npos) return std::nan("");
  return std::strtod(line.c_str() + key + name.size() + 3, nullptr);
}

// The number `name` on the log's metric line for the service `service` (NaN when there is none).
double metric_value(const std::string& log, std::string_view service, std::string_view name) {
  return log_number(log, "\"service\":\"" + std::string(service) + "\"", name);
}

std::size_t occurrences(const std::string& text, const std::string& marker) {
  std::size_t n = 0;
  for (auto at = text.find(marker); at != std::string::npos; at = text.find(marker, at + 1)) ++n;
  return n;
}

// At debug level the runtime logs its start timeline once, after its first `next`. It is stamped on the clock
// tsproxy-local stamps the spawn and the end of init with, so the phases before that `next` fit between the
// two.
TEST_F(LambdaE2e, AtDebugLevelTheStartTimelineIsLoggedOnceAndFitsBetweenSpawnAndInitEnd) {
  local_stack stack(socks_address(), {.env = {{"AWS_LAMBDA_LOG_LEVEL", "DEBUG"}}});
  for (int i = 0; i < 2; ++i) ASSERT_EQ(stack.request("/small", to_nginx()).status, 200) << stack.log();
  const std::string timeline = "\"msg\":\"start timeline\"";
  ASSERT_TRUE(stack.wait_for_log(timeline)) << stack.log();
  const auto log = stack.log();
  EXPECT_EQ(occurrences(log, timeline), 1u) << log;
  const double spawned = log_number(log, "\"msg\":\"runtime_start\"", "spawned_at_monotonic_ns");
  const double entered = log_number(log, timeline, "main_entered_monotonic_ns");
  const double init_end = log_number(log, "\"msg\":\"init\"", "monotonic_ns");
  EXPECT_LT(spawned, entered) << log;
  double before_next_ms = 0;  // first_next_ms ends after the write, so tsproxy-local may see the `next` first
  for (const char* phase : {"io_backend_ms", "configuration_ms", "runtime_built_ms", "threads_started_ms"}) {
    const double ms = log_number(log, timeline, phase);
    EXPECT_GE(ms, 0) << phase << log;  // false for NaN: a missing phase fails
    before_next_ms += ms;
  }
  EXPECT_GE(log_number(log, timeline, "first_next_ms"), 0) << log;
  EXPECT_LT(entered + before_next_ms * 1e6, init_end) << log;
  EXPECT_GT(log_number(log, timeline, "minor_faults_to_first_next"),
            log_number(log, timeline, "minor_faults_before_main"))
      << log;

  local_stack quiet(socks_address());
  ASSERT_EQ(quiet.request("/small", to_nginx()).status, 200) << quiet.log();
  EXPECT_EQ(quiet.log_position(timeline), std::string::npos) << quiet.log();
}

// Each event-loop thread has its own pool (2 in the threaded variant), so which request finds a pooled
// connection is not known; but the first opens one, and of three sequential requests at least one is
// served by a pool that already served one before it.
TEST_F(LambdaE2e, PhaseMetricsTimeANewConnectionsOpeningAndNoOpeningOverAPooledOne) {
  local_stack stack(socks_address(), {.env = {{"TSPROXY_METRICS_PHASES", "true"}}});
  const std::vector<std::string> services{"first", "second", "third"};
  for (const auto& service : services)
    ASSERT_EQ(stack.request("/small", to_nginx({"-H", "ts-metric-service: " + service})).status, 200)
        << stack.log();
  ASSERT_TRUE(stack.wait_for_log("\"service\":\"third\"")) << stack.log();
  const auto log = stack.log();
  std::size_t pooled = 0;
  for (const auto& service : services) {
    const double connect = metric_value(log, service, "connectLatency");
    const double socks5 = metric_value(log, service, "socks5Latency");
    const double first_byte = metric_value(log, service, "firstByteLatency");
    EXPECT_EQ(metric_value(log, service, "tlsLatency"), 0) << service << log;  // plain HTTP
    EXPECT_GT(first_byte, 0) << service << log;
    if (connect == 0 && socks5 == 0) {
      ++pooled;
      continue;
    }
    EXPECT_GT(connect, 0) << service << log;  // a new connection times both of its phases
    EXPECT_GT(socks5, 0) << service << log;
    EXPECT_GE(metric_value(log, service, "latency"), connect + socks5 + first_byte) << service << log;
  }
  EXPECT_GT(metric_value(log, "first", "connectLatency"), 0) << "the first request found no pool: " << log;
  EXPECT_GE(pooled, 1u) << log;
  // One line per metric: nothing blank between them.
  EXPECT_EQ(log.find("\n\n"), std::string::npos) << log;
}

TEST_F(LambdaE2e, WithoutPhaseMetricsTheLineHasTheLatencyOnly) {
  local_stack stack(socks_address());
  ASSERT_EQ(stack.request("/small", to_nginx({"-H", "ts-metric-service: plain"})).status, 200) << stack.log();
  ASSERT_TRUE(stack.wait_for_log("\"service\":\"plain\"")) << stack.log();
  EXPECT_GT(metric_value(stack.log(), "plain", "latency"), 0) << stack.log();
  EXPECT_TRUE(std::isnan(metric_value(stack.log(), "plain", "connectLatency"))) << stack.log();
}

// The value of header `name` among echoed_headers() lines (empty if absent).
std::string echoed(const std::string& seen, const std::string& name) {
  const auto at = seen.find(name + ": ");
  if (at == std::string::npos || (at > 0 && seen[at - 1] != '\n')) return {};
  const auto begin = at + name.size() + 2;
  return seen.substr(begin, seen.find('\n', begin) - begin);
}

TEST_F(LambdaE2e, TheTargetJoinsTheInvocationsTraceThroughBothTraceHeaders) {
  local_stack stack(socks_address());
  const auto seen = echoed_headers(stack.request("/echo", to_python()));
  // tsproxy-local's trace header for the invocation: Root=1-<8>-<24>;Parent=<16>;Sampled=0
  const auto xray = echoed(seen, "x-amzn-trace-id");
  ASSERT_EQ(xray.size(), 74u) << seen;
  ASSERT_TRUE(xray.starts_with("Root=1-") && xray.ends_with(";Sampled=0")) << xray;
  const auto root = xray.substr(7, 8) + xray.substr(16, 24);
  const auto parent = xray.substr(48, 16);
  EXPECT_EQ(echoed(seen, "traceparent"), "00-" + root + "-" + parent + "-00") << seen;

  const std::string callers = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const auto kept = echoed_headers(stack.request("/echo", to_python({"-H", "traceparent: " + callers})));
  EXPECT_EQ(echoed(kept, "traceparent"), callers) << kept;
  EXPECT_EQ(echoed(kept, "x-amzn-trace-id").size(), 74u) << kept;
}

TEST_F(LambdaE2e, WithoutTraceContextTheTargetSeesTheCallersHeadersOnly) {
  local_stack stack(socks_address(), {.env = {{"TSPROXY_TRACE_CONTEXT", "false"}}});
  const auto seen = echoed_headers(stack.request("/echo", to_python()));
  // The Function URL's own header (Root only), as the caller's event carried it.
  const auto xray = echoed(seen, "x-amzn-trace-id");
  EXPECT_TRUE(xray.starts_with("Root=1-") && xray.find(';') == std::string::npos) << seen;
  EXPECT_EQ(echoed(seen, "traceparent"), "") << seen;
}

TEST_F(LambdaE2e, Head204And304HaveNoBody) {
  local_stack stack(socks_address());
  const auto head = stack.request("/small", to_nginx({"-I"}));
  EXPECT_EQ(head.status, 200);
  // With -I curl writes the header block where the body would go: it must hold no body bytes.
  EXPECT_EQ(head.body.find(nginx_server::file_content("small")), std::string::npos) << head.body;
  const auto no_content = stack.request("/status/204", to_nginx());
  EXPECT_EQ(no_content.status, 204);
  EXPECT_TRUE(no_content.body.empty());
  const auto not_modified = stack.request("/status?code=304", to_python());
  EXPECT_EQ(not_modified.status, 304);
  EXPECT_TRUE(not_modified.body.empty());
}

TEST_F(LambdaE2e, ChunkedAndCloseDelimitedBodiesArriveWhole) {
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(socks_address(), {.invoke_mode = mode});
    const auto chunked = stack.request("/chunked?n=100000&chunk=777", to_python());
    ASSERT_EQ(chunked.status, 200) << mode << stack.log();
    EXPECT_EQ(chunked.body.size(), 100000u) << mode;
    const auto closed = stack.request("/close-delimited?n=50000", to_python());
    ASSERT_EQ(closed.status, 200) << mode;
    EXPECT_EQ(closed.body.size(), 50000u) << mode;
  }
}

TEST_F(LambdaE2e, FiftyMegabytesStreamThroughInBoundedMemory) {
  local_stack stack(socks_address(), {.invoke_mode = "response_stream"});
  const std::size_t size = 50u * 1024 * 1024;
  const auto r = stack.request("/big?n=" + std::to_string(size), to_python());
  ASSERT_EQ(r.status, 200) << stack.log();
  ASSERT_EQ(r.body.size(), size);
  bool pattern_ok = true;
  for (std::size_t i = 0; i < size; i += 4099)
    pattern_ok = pattern_ok && static_cast<unsigned char>(r.body[i]) == i % 256;
  EXPECT_TRUE(pattern_ok);
  const pid_t pid = stack.bootstrap_pid();
  ASSERT_GT(pid, 0);
  const long peak = peak_rss_kib(pid);
  EXPECT_LT(peak, 32 * 1024) << "bootstrap peak RSS " << peak << " KiB";
}

TEST_F(LambdaE2e, MissingOrInvalidRoutingHeadersGet400WithErrorHeaders) {
  local_stack stack(socks_address());
  const auto missing = stack.request("/small", {"-H", "ts-target-ip: 127.0.0.1"});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.header("ts-error-name"), "MissingTargetPort");
  EXPECT_FALSE(missing.header("ts-error-message").empty());
  const auto bad_ip = stack.request("/small", {"-H", "ts-target-ip: 999.1.1.1", "-H", "ts-target-port: 80"});
  EXPECT_EQ(bad_ip.status, 400);
  EXPECT_EQ(bad_ip.header("ts-error-name"), "InvalidTargetIp");
  const auto bad_port = stack.request("/small", {"-H", "ts-target-ip: 127.0.0.1", "-H", "ts-target-port: 0"});
  EXPECT_EQ(bad_port.status, 400);
  EXPECT_EQ(bad_port.header("ts-error-name"), "InvalidTargetPort");
  // The process keeps serving after bad input.
  EXPECT_EQ(stack.request("/small", to_nginx()).status, 200);
}

TEST_F(LambdaE2e, RefusedAndUnreachableTargetsGet502) {
  local_stack stack(socks_address());
  const auto refused = stack.request("/", local_stack::route_to("127.0.0.1", free_tcp_port()));
  EXPECT_EQ(refused.status, 502) << refused.body;
  EXPECT_EQ(refused.header("ts-error-name").rfind("Socks5", 0), 0u) << refused.header("ts-error-name");
  EXPECT_FALSE(refused.header("ts-error-message").empty());
}

TEST_F(LambdaE2e, SocksListenerDownGets502) {
  local_stack stack("127.0.0.1:" + std::to_string(free_tcp_port()));
  const auto r = stack.request("/small", to_nginx());
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.header("ts-error-name"), "ConnectionRefused");
}

TEST_F(LambdaE2e, UpstreamThatNeverAnswersGets504BeforeTheLambdaDeadline) {
  local_stack stack(socks_address(), {.timeout_ms = 3000, .env = {{"TSPROXY_DEADLINE_MARGIN_MS", "500"}}});
  const pid_t pid = stack.bootstrap_pid();
  const auto r = stack.request("/never", to_python());
  // A 504 from the proxy (not the emulator's 502 Sandbox.Timedout) proves it answered before Lambda's
  // deadline; the emulator's own clock (from handoff, no process start-up) shows it waited until then.
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(r.header("ts-error-name"), "RequestDeadline");
  const auto handoff_ms = stack.invoke_timing(r.header("x-amzn-requestid"), "handoff_to_response_ms");
  ASSERT_TRUE(handoff_ms) << stack.log();
  EXPECT_GE(*handoff_ms, 2000.0) << "answered long before the deadline minus the margin (2500 ms)";
  EXPECT_LT(*handoff_ms, 3000.0);
  // The same runtime serves the next request (a row of the fault matrix).
  EXPECT_EQ(stack.bootstrap_pid(), pid);
  EXPECT_EQ(stack.request("/small", to_nginx()).status, 200);
}

TEST_F(LambdaE2e, ATargetsEarlyAnswerToALargePostReachesTheCaller) {
  // Through the tailscaled stand-in: it forwards what the target sent before resetting (microsocks drops it).
  tailscaled_standin tailscale({.state = "Running", .localapi = false});
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(tailscale.socks_address(), {.invoke_mode = mode});
    const pid_t pid = stack.bootstrap_pid();
    temp_dir dir;
    const auto body_file = dir / "body";
    write_file(body_file, std::string(4 << 20, 'x'));
    auto args = to_python({"-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary",
                           "@" + body_file.string()});
    const auto r = stack.request("/early-answer?code=413", args);
    EXPECT_EQ(r.status, 413) << mode << ": " << r.body;
    EXPECT_EQ(r.body, "too large") << mode;
    EXPECT_TRUE(r.header("ts-error-name").empty()) << mode << ": the target's own answer, not the proxy's";
    // The same runtime serves the next request (a row of the fault matrix).
    EXPECT_EQ(stack.bootstrap_pid(), pid) << mode;
    EXPECT_EQ(stack.request("/small", to_nginx()).status, 200) << mode;
  }
}

TEST_F(LambdaE2e, ATargetsEarlyAnswerToA2MbPostThroughMicrosocksReachesTheCaller) {
  // microsocks stops relaying as soon as a write to the target fails and resets our side with the body
  // unread: the answer reaches the caller only because tsproxy reads it while it is still writing.
  local_stack stack(socks_address());
  temp_dir dir;
  const auto body_file = dir / "body";
  write_file(body_file, std::string(2 << 20, 'x'));
  auto args = to_python({"-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary",
                         "@" + body_file.string()});
  for (const std::string close : {"reset", "unread"}) {
    for (int i = 0; i < 3; ++i) {
      const auto r = stack.request("/early-answer?code=413&close=" + close, args);
      EXPECT_EQ(r.status, 413) << close << " try " << i << ": " << r.body;
      EXPECT_EQ(r.body, "too large") << close << " try " << i;
      EXPECT_TRUE(r.header("ts-error-name").empty()) << close << " try " << i;
    }
  }
  EXPECT_EQ(stack.request("/small", to_nginx()).status, 200);
}

// Sends `requests` on one connection to the Function URL and reads until it closes.
std::string exchange_on_one_connection(const local_stack& stack, const std::string& requests) {
  const auto port = static_cast<std::uint16_t>(std::stoi(stack.url().substr(stack.url().rfind(':') + 1)));
  std::error_code ec;
  auto fd = connect_tcp(loopback_ipv4, port, std::chrono::seconds(10), ec);
  if (!fd) throw std::runtime_error("connect: " + ec.message());
  timeval tv{30, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::send(fd.get(), requests.data(), requests.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(requests.size()))
    throw std::runtime_error("send failed");
  std::string raw;
  char buffer[65536];
  for (ssize_t n; (n = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0;)
    raw.append(buffer, static_cast<std::size_t>(n));
  return raw;
}

TEST_F(LambdaE2e, AHeadAnswerKeepsItsContentLengthAndTheConnectionInStep) {
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(socks_address(), {.invoke_mode = mode});
    const std::string route = "Host: x\r\nts-target-ip: " + nginx_.host() +
                              "\r\nts-target-port: " + std::to_string(nginx_.http_port()) + "\r\n";
    const auto raw =
        exchange_on_one_connection(stack, "HEAD /small HTTP/1.1\r\n" + route + "\r\nGET /small HTTP/1.1\r\n" +
                                              route + "Connection: close\r\n\r\n");
    const auto head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << mode << ": " << raw;
    const std::string head = raw.substr(0, head_end + 4);
    EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << mode << ": " << head;
    EXPECT_NE(head.find("Content-Length: 100\r\n"), std::string::npos) << mode << ": the target's length\n"
                                                                       << head;
    EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos)
        << mode << ": a HEAD answer has no body to frame";
    // Nothing follows the HEAD answer's head but the next response.
    const std::string rest = raw.substr(head_end + 4);
    EXPECT_EQ(rest.rfind("HTTP/1.1 200", 0), 0u) << mode << ": " << rest.substr(0, 200);
    EXPECT_NE(rest.find(nginx_server::file_content("small")), std::string::npos) << mode;
  }
}

TEST_F(LambdaE2e, ACallerCannotReachTheRuntimeApiThroughTheProxy) {
  // The Runtime API listens on loopback next to the function: through the SOCKS5 listener a caller could
  // take other callers' invocations from it. Sandbox addresses are refused unless the operator names them.
  // Even an allow-list that admits every address does not name the sandbox.
  local_stack stack(socks_address(), {.env = {{"TSPROXY_ALLOWED_TARGETS", "0.0.0.0/0:*"}}});
  const auto api_port =
      static_cast<std::uint16_t>(std::stoi(stack.runtime_api().substr(stack.runtime_api().rfind(':') + 1)));
  const auto r =
      stack.request("/2018-06-01/runtime/invocation/next", local_stack::route_to("127.0.0.1", api_port));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.header("ts-error-name"), "SandboxTargetNotAllowed");
  local_stack without_list(socks_address(), {.env = {{"TSPROXY_ALLOWED_TARGETS", ""}}});
  EXPECT_EQ(without_list.request("/", local_stack::route_to("127.0.0.1", api_port)).header("ts-error-name"),
            "SandboxTargetNotAllowed")
      << "refused by default, with no allow-list at all";
}

TEST_F(LambdaE2e, OversizedBufferedResponseIsAClear502) {
  local_stack stack(socks_address());
  const auto r = stack.request("/bytes?n=7000000", to_python());
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.header("ts-error-name"), "ResponseTooLarge");
  EXPECT_NE(r.header("ts-error-message").find("stream"), std::string::npos);
  EXPECT_EQ(stack.request("/small", to_nginx()).status, 200);
}

TEST_F(LambdaE2e, WarmerIsAnsweredSuccessAndPrewarms) {
  local_stack stack(socks_address(),
                    {.env = {{"TSPROXY_PREWARM", nginx_.host() + ":" + std::to_string(nginx_.http_port())},
                             {"TSPROXY_PREWARM_CONNECTIONS", "3"}}});
  const auto result =
      stack.invoke_raw(R"({"warmer":true,"warmerIndex":1,"warmerTimestamp":"2026-11-23T00:00:00Z"})");
  EXPECT_EQ(result, R"({"success":true})");
  // Prewarmed connections serve the next requests: nginx sees no connection beyond those 3 (with several
  // threads, each prewarms its share of them, rounded up).
  for (int i = 0; i < 3; ++i) ASSERT_EQ(stack.request("/small", to_nginx()).status, 200);
  nginx_.wait_for_access_log_entries(3);
  const auto threads = static_cast<std::size_t>(e2e_threads());
  EXPECT_LE(nginx_.distinct_connections(), threads * ((3 + threads - 1) / threads));
}

TEST_F(LambdaE2e, AllowListRefusesOtherTargetsWith403) {
  local_stack stack(
      socks_address(),
      {.env = {{"TSPROXY_ALLOWED_TARGETS", "127.0.0.1:" + std::to_string(nginx_.http_port())}}});
  EXPECT_EQ(stack.request("/small", to_nginx()).status, 200);
  const auto r = stack.request("/echo", to_python());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.header("ts-error-name"), "TargetNotAllowed");
}

TEST_F(LambdaE2e, OneUpstreamConnectionServesAHundredSequentialInvocations) {
  local_stack stack(socks_address());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(stack.request("/small", to_nginx()).status, 200);
  nginx_.wait_for_access_log_entries(100);
  // One warm connection per event-loop thread (each has its own pool).
  EXPECT_GE(nginx_.distinct_connections(), 1u);
  EXPECT_LE(nginx_.distinct_connections(), static_cast<std::size_t>(e2e_threads()));
}

TEST_F(LambdaE2e, ConcurrentInvocationsDoNotHoldUpFastOnes) {
  local_stack stack(socks_address(), {.max_concurrency = 8});
  // Four invocations whose target holds its answer until the test releases it ...
  std::vector<local_stack::pending> slow;
  for (int i = 0; i < 4; ++i) slow.push_back(stack.start_request("/hold?key=slow", to_python()));
  ASSERT_TRUE(wait_until([&] { return python_.held("slow") == 4; })) << "held: " << python_.held("slow");
  // ... and four more that must all complete while those four are still held.
  std::vector<local_stack::pending> fast;
  for (int i = 0; i < 4; ++i) fast.push_back(stack.start_request("/small", to_nginx()));
  for (auto& f : fast) EXPECT_EQ(local_stack::wait(f).status, 200);
  EXPECT_EQ(python_.held("slow"), 4u);
  python_.release("slow");
  for (auto& s : slow) {
    const auto r = local_stack::wait(s);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "released");
  }
}

TEST_F(LambdaE2e, StreamingModePassesStatusHeadersAndErrors) {
  local_stack stack(socks_address(), {.invoke_mode = "response_stream"});
  const auto ok = stack.request("/set-cookies", to_python());
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.all("set-cookie").size(), 3u);
  const auto refused = stack.request("/", local_stack::route_to("127.0.0.1", free_tcp_port()));
  EXPECT_EQ(refused.status, 502);
  EXPECT_EQ(refused.header("ts-error-name").rfind("Socks5", 0), 0u);
}

}  // namespace
}  // namespace tsproxy::test
