// Proves the test peers are real and behave as their headers promise, using curl (an independent
// client) and raw sockets. If these fail, integration test failures elsewhere say nothing about tsproxy.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <string_view>
#include <vector>

#include "support/peers.hpp"

namespace tsproxy::test {
namespace {

using namespace std::chrono_literals;

// curl with no ~/.curlrc and no proxy from the environment, so only the arguments decide the route.
command_result curl(std::vector<std::string> args) {
  std::vector<std::string> argv = {"curl", "-q", "-sS", "--max-time", "10"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(
      argv, 15s,
      {{"http_proxy", ""}, {"https_proxy", ""}, {"HTTPS_PROXY", ""}, {"all_proxy", ""}, {"ALL_PROXY", ""}});
}

bool group_gone(pid_t pgid) {
  return ::kill(-pgid, 0) != 0 && errno == ESRCH;
}

// Sends raw bytes on a fresh connection and reads until the peer closes.
std::string raw_exchange(std::uint16_t port, std::string_view request) {
  std::error_code ec;
  unique_fd fd = connect_tcp(loopback_ipv4, port, 2s, ec);
  if (!fd) throw std::runtime_error("connect: " + ec.message());
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

// A SOCKS5 CONNECT (no auth) to 127.0.0.1:dest_port; returns the reply code (REP field).
int socks5_connect_reply(std::uint16_t proxy_port, std::uint16_t dest_port) {
  std::error_code ec;
  unique_fd fd = connect_tcp(loopback_ipv4, proxy_port, 2s, ec);
  if (!fd) throw std::runtime_error("connect: " + ec.message());
  timeval tv{5, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const unsigned char greeting[] = {5, 1, 0};
  ::send(fd.get(), greeting, sizeof greeting, MSG_NOSIGNAL);
  unsigned char method[2] = {};
  if (::recv(fd.get(), method, 2, MSG_WAITALL) != 2 || method[0] != 5 || method[1] != 0) return -1;
  const unsigned char request[] = {5,
                                   1,
                                   0,
                                   1,
                                   127,
                                   0,
                                   0,
                                   1,
                                   static_cast<unsigned char>(dest_port >> 8),
                                   static_cast<unsigned char>(dest_port & 0xff)};
  ::send(fd.get(), request, sizeof request, MSG_NOSIGNAL);
  unsigned char reply[10] = {};
  if (::recv(fd.get(), reply, 2, MSG_WAITALL) != 2 || reply[0] != 5) return -1;
  return reply[1];
}

std::string base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  unsigned buffer = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) continue;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return out;
}

std::string pattern_bytes(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 256);
  return out;
}

// Values of one response header in a `curl -D file` dump (the last response's head).
std::vector<std::string> dumped_header_values(const std::string& dump, std::string_view name) {
  std::vector<std::string> values;
  std::size_t pos = 0;
  while (pos < dump.size()) {
    auto eol = dump.find("\r\n", pos);
    if (eol == std::string::npos) eol = dump.size();
    std::string line = dump.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.size() > name.size() && line[name.size()] == ':' &&
        std::equal(name.begin(), name.end(), line.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      values.push_back(line.substr(name.size() + 2));
    }
  }
  return values;
}

// --- process, net, temp_dir ---

TEST(ChildProcess, StopKillsTheWholeGroupIncludingOrphans) {
  temp_dir dir;
  // The subshell forks a sleeper and exits, so that sleeper is orphaned inside the group.
  child_process child({"sh", "-c", "(sleep 100 &); echo started; exec sleep 101"}, dir / "log");
  child.wait_for_file(dir / "log");
  const pid_t pgid = child.pid();
  ASSERT_TRUE(child.running());
  ASSERT_FALSE(group_gone(pgid));
  EXPECT_EQ(child.stop(), 128 + SIGTERM);
  EXPECT_FALSE(child.running());
  EXPECT_TRUE(group_gone(pgid)) << "a group member survived stop()";
}

TEST(ChildProcess, DestructorStopsAChildThatIgnoresSigterm) {
  temp_dir dir;
  pid_t pgid = 0;
  {
    child_process child({"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}, dir / "log");
    pgid = child.pid();
    child.wait_for_file(dir / "log");
  }
  EXPECT_TRUE(group_gone(pgid));
}

TEST(ChildProcess, StartupFailureThrowsWithTheLogTail) {
  temp_dir dir;
  child_process child({"sh", "-c", "echo 'bind: address in use' >&2; exit 3"}, dir / "log");
  try {
    child.wait_for_tcp_port(loopback_ipv4, free_tcp_port(), 5s);
    FAIL() << "wait_for_tcp_port returned for a dead child";
  } catch (const child_exited_error& e) {
    EXPECT_NE(std::string(e.what()).find("exited with code 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bind: address in use"), std::string::npos) << e.what();
  }
}

TEST(ChildProcess, TimeoutThrowsAndTheChildIsStillStopped) {
  temp_dir dir;
  child_process child({"sleep", "30"}, dir / "log");
  EXPECT_THROW(child.wait_for_tcp_port(loopback_ipv4, free_tcp_port(), 100ms), std::runtime_error);
  EXPECT_TRUE(child.running());
  child.stop();
  EXPECT_FALSE(child.running());
}

TEST(ChildProcess, MissingProgramThrows) {
  temp_dir dir;
  EXPECT_THROW(child_process({"tsproxy-no-such-program"}, dir / "log"), std::runtime_error);
}

TEST(ChildProcess, ExtraEnvironmentReachesTheChild) {
  command_result result = run_command({"sh", "-c", "echo \"$TSPROXY_SELFTEST_VAR\"; echo err >&2; exit 4"},
                                      5s, {{"TSPROXY_SELFTEST_VAR", "hello"}});
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_EQ(result.out, "hello\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(Net, CountOpenFdsSeesASocket) {
  const std::size_t before = count_open_fds();
  {
    unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    EXPECT_EQ(count_open_fds(), before + 1);
  }
  EXPECT_EQ(count_open_fds(), before);
  EXPECT_GT(free_tcp_port(), 0);
}

TEST(TempDir, IsRemovedWithItsContents) {
  std::filesystem::path path;
  {
    temp_dir dir;
    path = dir.path();
    std::filesystem::create_directories(dir / "a/b");
    write_file(dir / "a/b/file", "x");
    EXPECT_EQ(read_file(dir / "a/b/file"), "x");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TestCa, CertificatesVerifyAsDocumented) {
  const test_ca& ca = test_ca::instance();
  auto verify = [&](const std::filesystem::path& cert, const char* host) {
    return run_command({"openssl", "verify", "-x509_strict", "-CAfile", ca.ca_cert().string(),
                        "-verify_hostname", host, cert.string()})
        .exit_code;
  };
  EXPECT_EQ(verify(ca.server_cert(), "localhost"), 0);
  EXPECT_EQ(verify(ca.server_cert(), "upstream.test"), 0);
  EXPECT_NE(verify(ca.untrusted_cert(), "localhost"), 0);
  EXPECT_EQ(verify(ca.wrong_name_cert(), "wrong.test"), 0);
  EXPECT_NE(verify(ca.wrong_name_cert(), "localhost"), 0);
  const std::string sans = run_command_or_throw(
      {"openssl", "x509", "-noout", "-ext", "subjectAltName", "-in", ca.server_cert().string()});
  EXPECT_NE(sans.find("IP Address:127.0.0.1"), std::string::npos) << sans;
  EXPECT_NE(sans.find("IP Address:0:0:0:0:0:0:0:1"), std::string::npos) << sans;
  EXPECT_EQ(&ca, &test_ca::instance());
}

// --- nginx ---

TEST(Nginx, ServesFilesOverHttpAndHttpsWithKeepAlive) {
  nginx_server nginx;
  command_result small = curl({nginx.http_url("/small")});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_EQ(small.out, nginx_server::file_content("small"));
  EXPECT_EQ(small.out.size(), 100u);

  // Two URLs in one curl run share a keep-alive connection.
  command_result two = curl({nginx.http_url("/binary"), nginx.http_url("/echo-method?x=1")});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.out, nginx_server::file_content("binary") + "GET /echo-method?x=1\n");

  command_result tls = curl({"--cacert", test_ca::instance().ca_cert().string(), nginx.https_url("/1m")});
  ASSERT_EQ(tls.exit_code, 0) << tls.err;
  EXPECT_EQ(tls.out, nginx_server::file_content("1m"));
  command_result by_name = curl({"--cacert", test_ca::instance().ca_cert().string(), "--resolve",
                                 "upstream.test:" + std::to_string(nginx.https_port()) + ":127.0.0.1",
                                 "https://upstream.test:" + std::to_string(nginx.https_port()) + "/small"});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_EQ(by_name.out.size(), 100u);
  EXPECT_NE(curl({nginx.https_url("/small")}).exit_code, 0) << "TLS verified without the test CA";

  command_result codes =
      curl({"-w", "%{http_code} ", "-o", "/dev/null", nginx.http_url("/status/204"), "-o", "/dev/null",
            nginx.http_url("/redirect"), "-o", "/dev/null", nginx.http_url("/missing")});
  EXPECT_EQ(codes.out, "204 302 404 ");

  auto entries = nginx.wait_for_access_log_entries(8);
  ASSERT_EQ(entries.size(), 8u);
  EXPECT_EQ(entries[0].request, "GET /small HTTP/1.1");
  EXPECT_EQ(entries[0].status, 200);
  EXPECT_EQ(entries[0].body_bytes_sent, 100u);
  EXPECT_EQ(entries[0].connection_requests, 1u);
  EXPECT_EQ(entries[1].request, "GET /binary HTTP/1.1");
  EXPECT_EQ(entries[2].connection, entries[1].connection);
  EXPECT_EQ(entries[2].connection_requests, 2u);
  EXPECT_EQ(entries[7].status, 404);
  // small | binary+echo | 1m | upstream.test | 204+302+404 (the unverified TLS attempt never made a request).
  EXPECT_EQ(nginx.distinct_connections(), 5u);

  http_response direct = raw_http_get(nginx.host(), nginx.http_port(), "/10k");
  EXPECT_EQ(direct.status, 200);
  EXPECT_EQ(direct.body, nginx_server::file_content("10k"));
  EXPECT_EQ(nginx.process().stop(), 0) << "nginx did not exit cleanly on SIGTERM";
}

TEST(Nginx, BadConfigurationThrowsWithTheErrorLog) {
  try {
    nginx_server nginx(nginx_options{"    no_such_directive on;\n"});
    FAIL() << "nginx started with a bad configuration";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown directive \"no_such_directive\""), std::string::npos)
        << e.what();
  }
}

TEST(Nginx, LosingThePortRaceIsRetried) {
  // A real lost race cannot be provoked on purpose, so check the rule: an exit with EADDRINUSE in the
  // log is retried (up to 3 attempts), any other exit is not.
  int calls = 0;
  EXPECT_THROW(retry_start([&]() -> int {
                 ++calls;
                 throw child_exited_error("bind() failed (98: Address already in use)");
               }),
               child_exited_error);
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_THROW(retry_start([&]() -> int {
                 ++calls;
                 throw child_exited_error("unknown directive");
               }),
               child_exited_error);
  EXPECT_EQ(calls, 1);
}

// --- SOCKS servers ---

TEST(Microsocks, RelaysToNginx) {
  nginx_server nginx;
  microsocks_server socks;
  command_result result =
      curl({"--socks5-hostname", "127.0.0.1:" + std::to_string(socks.port()), nginx.http_url("/small")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.size(), 100u);
  EXPECT_EQ(nginx.wait_for_access_log_entries(1).at(0).request, "GET /small HTTP/1.1");
}

TEST(Microsocks, RequiresCredentialsWhenConfigured) {
  nginx_server nginx;
  microsocks_server socks(socks_credentials{"alice", "s3cret"});
  const std::string proxy = "127.0.0.1:" + std::to_string(socks.port());
  command_result good =
      curl({"--socks5-hostname", proxy, "--proxy-user", "alice:s3cret", nginx.http_url("/small")});
  ASSERT_EQ(good.exit_code, 0) << good.err;
  EXPECT_EQ(good.out.size(), 100u);
  EXPECT_NE(
      curl({"--socks5-hostname", proxy, "--proxy-user", "alice:wrong", nginx.http_url("/small")}).exit_code,
      0);
  EXPECT_NE(curl({"--socks5-hostname", proxy, nginx.http_url("/small")}).exit_code, 0);
}

TEST(Dante, RelaysToNginxAndStopsAllItsProcesses) {
  nginx_server nginx;
  pid_t pgid = 0;
  {
    dante_server dante;
    pgid = dante.process().pid();
    const std::string proxy = "127.0.0.1:" + std::to_string(dante.port());
    command_result by_name = curl({"--socks5-hostname", proxy, nginx.http_url("/small")});
    ASSERT_EQ(by_name.exit_code, 0) << by_name.err << read_file(dante.log_file());
    EXPECT_EQ(by_name.out.size(), 100u);
    command_result by_host = curl(
        {"--socks5-hostname", proxy, "http://localhost:" + std::to_string(nginx.http_port()) + "/small"});
    ASSERT_EQ(by_host.exit_code, 0) << by_host.err;
    EXPECT_EQ(by_host.out.size(), 100u);
  }
  EXPECT_TRUE(group_gone(pgid)) << "danted left processes behind";
}

TEST(Dante, BlockedPortGetsReplyNotAllowedAndClosedPortGetsRefused) {
  nginx_server nginx;
  const std::uint16_t closed_port = free_tcp_port();
  dante_server dante(dante_options{{nginx.http_port()}});
  EXPECT_EQ(socks5_connect_reply(dante.port(), nginx.http_port()), dante_server::reply_blocked_by_rule);
  EXPECT_EQ(socks5_connect_reply(dante.port(), closed_port), dante_server::reply_connection_refused);
  EXPECT_EQ(socks5_connect_reply(dante.port(), nginx.https_port()), 0x00);
  // Domain names are blocked as well.
  EXPECT_NE(curl({"--socks5-hostname", "127.0.0.1:" + std::to_string(dante.port()),
                  "http://localhost:" + std::to_string(nginx.http_port()) + "/small"})
                .exit_code,
            0);
}

// --- misbehaving upstream ---

class PythonUpstream : public ::testing::Test {  // NOLINT(readability-identifier-naming): gtest suite
 protected:
  static void SetUpTestSuite() { upstream_ = new python_upstream(); }
  static void TearDownTestSuite() {
    delete upstream_;
    upstream_ = nullptr;
  }
  static python_upstream* upstream_;
  temp_dir dir_;
};
python_upstream* PythonUpstream::upstream_ = nullptr;

TEST_F(PythonUpstream, EchoReturnsBinaryBodyAndExactHeaders) {
  const std::string body = pattern_bytes(3000);
  write_file(dir_ / "body", body);
  command_result result = curl({"--data-binary", "@" + (dir_ / "body").string(), "-H", "X-Dup: one", "-H",
                                "X-Dup: two", "-H", "Content-Type: application/octet-stream", "-D",
                                (dir_ / "head").string(), upstream_->url("/echo?q=1&r=2")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, body);
  const std::string head = read_file(dir_ / "head");
  EXPECT_EQ(dumped_header_values(head, "x-echo-method"), std::vector<std::string>{"POST"});
  EXPECT_EQ(dumped_header_values(head, "x-echo-target"), std::vector<std::string>{"/echo?q=1&r=2"});
  const auto encoded = dumped_header_values(head, "x-echo-headers");
  ASSERT_EQ(encoded.size(), 1u);
  const std::string json = base64_decode(encoded[0]);
  const auto one = json.find(R"(["X-Dup", "one"])");
  const auto two = json.find(R"(["X-Dup", "two"])");
  ASSERT_NE(one, std::string::npos) << json;
  ASSERT_NE(two, std::string::npos) << json;
  EXPECT_LT(one, two);
  EXPECT_NE(json.find(R"(["Content-Length", "3000"])"), std::string::npos) << json;
}

TEST_F(PythonUpstream, EchoDecodesChunkedRequestBodies) {
  command_result result =
      curl({"--data-binary", "chunky body", "-H", "Transfer-Encoding: chunked", upstream_->url("/echo")});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "chunky body");
}

TEST_F(PythonUpstream, BytesChunkedAndTrailers) {
  command_result bytes = curl({upstream_->url("/bytes?n=1000")});
  EXPECT_EQ(bytes.out, pattern_bytes(1000));
  command_result raw = curl({"--raw", upstream_->url("/chunked?n=25&chunk=10")});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const std::string p = pattern_bytes(25);
  EXPECT_EQ(raw.out, "a;ext=1\r\n" + p.substr(0, 10) + "\r\na;ext=1\r\n" + p.substr(10, 10) +
                         "\r\n5;ext=1\r\n" + p.substr(20) + "\r\n0\r\nx-trailer: yes\r\n\r\n");
  command_result decoded = curl({upstream_->url("/chunked?n=100000&chunk=333")});
  EXPECT_EQ(decoded.out, pattern_bytes(100000));
  command_result big = curl({upstream_->url("/big-chunked?n=200000")});
  EXPECT_EQ(big.out, pattern_bytes(200000));
}

TEST_F(PythonUpstream, CloseAfterClosesAndConnectionsAreCounted) {
  const std::size_t before = upstream_->accepted_connections();
  // n=3: three requests share one connection, the third closes it, the fourth needs a new one.
  const std::string url = upstream_->url("/close-after?n=3");
  command_result result = curl({"-D", (dir_ / "head").string(), url, url, url, url});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "request 1\nrequest 2\nrequest 3\nrequest 1\n");
  EXPECT_EQ(dumped_header_values(read_file(dir_ / "head"), "connection"), std::vector<std::string>{"close"});
  EXPECT_EQ(upstream_->accepted_connections(), before + 2);
  // The stats calls themselves are never counted.
  EXPECT_EQ(upstream_->accepted_connections(), before + 2);
}

TEST(PythonUpstreamLifecycle, ExitsCleanlyOnSigtermWithClientsConnected) {
  python_upstream upstream;
  std::error_code ec;
  unique_fd idle = connect_tcp(upstream.host(), upstream.port(), 2s, ec);
  ASSERT_TRUE(idle) << ec.message();
  unique_fd never = connect_tcp(upstream.host(), upstream.port(), 2s, ec);
  ASSERT_TRUE(never) << ec.message();
  const std::string request = "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(never.get(), request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  EXPECT_EQ(upstream.accepted_connections(), 2u);
  EXPECT_EQ(upstream.process().stop(), 0);
}

TEST_F(PythonUpstream, ByteLevelMisbehaviour) {
  EXPECT_EQ(curl({upstream_->url("/close-delimited?n=5000")}).out, pattern_bytes(5000));
  EXPECT_EQ(curl({upstream_->url("/reset-mid-body?n=1000")}).exit_code, 56);  // curl: failure receiving
  EXPECT_NE(curl({upstream_->url("/garbage-status")}).exit_code, 0);
  EXPECT_EQ(curl({"--max-time", "0.3", upstream_->url("/never")}).exit_code, 28);  // curl: timeout

  const std::string folded =
      raw_exchange(upstream_->port(), "GET /obs-fold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(folded.find("\r\nx-folded: first\r\n  second\r\n"), std::string::npos) << folded;
  const std::string both =
      raw_exchange(upstream_->port(), "GET /cl-and-te HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(both.find("Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            std::string::npos);
  const std::string twice =
      raw_exchange(upstream_->port(), "GET /conflicting-length HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(twice.find("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), std::string::npos) << twice;
  const std::string interim =
      raw_exchange(upstream_->port(), "GET /interim HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: ", 0), 0u)
      << interim;
  EXPECT_EQ(raw_http_get(upstream_->host(), upstream_->port(), "/interim").body, "ok");

  http_response cookies = raw_http_get(upstream_->host(), upstream_->port(), "/set-cookies");
  std::size_t set_cookie = 0, multi = 0;
  for (const auto& [name, value] : cookies.headers) {
    set_cookie += name == "Set-Cookie";
    multi += name == "x-multi";
  }
  EXPECT_EQ(set_cookie, 3u);
  EXPECT_EQ(multi, 2u);
  EXPECT_EQ(raw_http_get(upstream_->host(), upstream_->port(), "/status?code=503").status, 503);
  http_response no_content = raw_http_get(upstream_->host(), upstream_->port(), "/status?code=204");
  EXPECT_EQ(no_content.status, 204);
  EXPECT_EQ(no_content.body, "");
  EXPECT_EQ(raw_http_get(upstream_->host(), upstream_->port(), "/nope").status, 404);
  command_result head = curl({"-I", upstream_->url("/bytes?n=77")});
  EXPECT_NE(head.out.find("Content-Length: 77"), std::string::npos) << head.out;
  command_result slow = curl({"-w", " %{time_total}", upstream_->url("/slow-body?ms=20&n=5")});
  EXPECT_EQ(slow.out.substr(0, 5), pattern_bytes(5));
  EXPECT_GE(std::stod(slow.out.substr(6)), 0.09);
}

}  // namespace
}  // namespace tsproxy::test
