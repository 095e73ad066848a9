// The stub resolver and the direct connector against dnsmasq on loopback, plus in-process servers that
// stay silent. No test here uses the C library's resolver: that is the point of the code under test.

#include "tsproxy/engine/dns_resolver.hpp"

#include <array>
#include <asio/ip/udp.hpp>
#include <chrono>

#include "integration_support.hpp"
#include "tsproxy/engine/direct_connector.hpp"
#include "tsproxy/engine/tls_client_context.hpp"

namespace tsproxy::integration {
namespace {

std::vector<std::string> big_records() {
  // 40 addresses do not fit in 512 bytes of UDP: dnsmasq sets TC and the full answer needs TCP.
  std::vector<std::string> records;
  for (int i = 1; i <= 40; ++i) records.push_back("--host-record=big.test,10.0.0." + std::to_string(i));
  return records;
}

test::dnsmasq_server& names() {
  static test::dnsmasq_server server([] {
    auto records = big_records();
    records.insert(records.end(),
                   {"--host-record=dual.test,127.0.0.1,::1", "--host-record=v4only.test,127.0.0.1",
                    "--host-record=upstream.test,127.0.0.1",
                    "--host-record=refused-first.test,127.0.0.2,127.0.0.1", "--cname=alias.test,dual.test"});
    return records;
  }());
  return server;
}

asio::ip::udp::endpoint endpoint_of(const test::dnsmasq_server& server) {
  return {asio::ip::make_address(server.host()), server.port()};
}

dns_settings via() {
  dns_settings settings;
  settings.servers = {endpoint_of(names())};
  return settings;
}

// Datagrams waiting on a socket nobody reads.
std::size_t queued_datagrams(asio::ip::udp::socket& socket) {
  std::size_t count = 0;
  socket.non_blocking(true);
  std::array<char, 1500> buffer{};
  asio::error_code ec;
  while (socket.receive(asio::buffer(buffer), 0, ec) > 0 || !ec) ++count;
  return count;
}

std::vector<std::string> strings(const std::vector<asio::ip::address>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

class DnsResolver : public ::testing::Test, protected io_fixture {
 protected:
  std::error_code resolve(std::string host, dns_settings settings, std::vector<std::string>& out,
                          milliseconds budget = 10s) {
    std::vector<asio::ip::address> addresses;
    const auto ec = run([&]() -> asio::awaitable<std::error_code> {
      co_return co_await resolve_host(host, settings, steady_clock::now() + budget, addresses);
    }());
    out = strings(addresses);
    return ec;
  }
};

TEST_F(DnsResolver, AsksTheServersOfResolvConf) {
  test::temp_dir dir("tsproxy-resolv");
  test::write_file(dir / "resolv.conf", "search nowhere.test\nnameserver 127.0.0.1\n");
  dns_settings settings;
  settings.resolv_conf = (dir / "resolv.conf").string();
  settings.port = names().port();
  std::vector<std::string> out;
  ASSERT_FALSE(resolve("dual.test", settings, out));
  EXPECT_EQ(out, (std::vector<std::string>{"127.0.0.1", "::1"}));                       // IPv4 first
  EXPECT_TRUE(test::wait_until([] { return names().queries_for("dual.test") >= 2; }));  // A and AAAA
}

TEST_F(DnsResolver, FollowsACnameAndIgnoresCase) {
  std::vector<std::string> out;
  ASSERT_FALSE(resolve("Alias.TEST.", via(), out));
  EXPECT_EQ(out, (std::vector<std::string>{"127.0.0.1", "::1"}));
}

TEST_F(DnsResolver, AsksATruncatedAnswerAgainOverTcp) {
  std::vector<std::string> out;
  ASSERT_FALSE(resolve("big.test", via(), out));
  EXPECT_EQ(out.size(), 40u);  // over UDP dnsmasq fits 30 of them and sets TC
}

TEST_F(DnsResolver, ANameWithoutAaaaStillResolves) {
  std::vector<std::string> out;
  ASSERT_FALSE(resolve("v4only.test", via(), out));
  EXPECT_EQ(out, (std::vector<std::string>{"127.0.0.1"}));
  auto v4 = via();
  v4.ipv6 = false;
  ASSERT_FALSE(resolve("dual.test", v4, out));
  EXPECT_EQ(out, (std::vector<std::string>{"127.0.0.1"}));
}

TEST_F(DnsResolver, NxdomainIsFinal) {
  std::vector<std::string> out;
  EXPECT_EQ(resolve("missing.test", via(), out), dns_error::name_not_found);
  EXPECT_TRUE(out.empty());
}

TEST_F(DnsResolver, LiteralsAndLocalhostAskNobody) {
  dns_settings nowhere;
  nowhere.resolv_conf = "/nonexistent/resolv.conf";
  std::vector<std::string> out;
  ASSERT_FALSE(resolve("192.0.2.1", nowhere, out));
  EXPECT_EQ(out, (std::vector<std::string>{"192.0.2.1"}));
  ASSERT_FALSE(resolve("[2001:db8::1]", nowhere, out));
  EXPECT_EQ(out, (std::vector<std::string>{"2001:db8::1"}));
  ASSERT_FALSE(resolve("LocalHost", nowhere, out));
  EXPECT_EQ(out, (std::vector<std::string>{"127.0.0.1", "::1"}));
  ASSERT_FALSE(resolve("api.localhost.", nowhere, out));
  EXPECT_EQ(out, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(resolve("dual.test", nowhere, out), dns_error::no_servers);
  EXPECT_EQ(resolve("bad name", via(), out), dns_error::invalid_name);
}

TEST_F(DnsResolver, MovesOnFromASilentAndARefusingServer) {
  // A server that never answers (its datagrams queue unread), dnsmasq refusing (a name outside .test is
  // not its to answer), then one that knows the name.
  asio::ip::udp::socket silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
  test::dnsmasq_server refusing({});
  test::dnsmasq_server knowing({"--host-record=elsewhere.example,192.0.2.9"});
  dns_settings settings;
  settings.servers = {silent.local_endpoint(), endpoint_of(refusing), endpoint_of(knowing)};
  settings.attempt_timeout = 300ms;
  std::vector<std::string> out;
  ASSERT_FALSE(resolve("elsewhere.example", settings, out));
  EXPECT_EQ(out, (std::vector<std::string>{"192.0.2.9"}));
  EXPECT_TRUE(test::wait_until([&] { return refusing.queries_for("elsewhere.example") >= 1; }));
  EXPECT_TRUE(test::wait_until([&] { return knowing.queries_for("elsewhere.example") >= 1; }));
}

TEST_F(DnsResolver, EndsWithTheLastFailureWhenNoServerAnswers) {
  test::dnsmasq_server refusing({});
  dns_settings settings;
  settings.servers = {endpoint_of(refusing)};
  std::vector<std::string> out;
  EXPECT_EQ(resolve("elsewhere.example", settings, out), dns_error::server_failure);
  // A and AAAA, in each of the two rounds.
  EXPECT_TRUE(test::wait_until([&] { return refusing.queries_for("elsewhere.example") == 4; }));
}

TEST_F(DnsResolver, SilenceIsBoundedByTheAttemptsAndTheDeadline) {
  asio::ip::udp::socket silent(io_, {asio::ip::make_address("127.0.0.1"), 0});
  dns_settings settings;
  settings.servers = {silent.local_endpoint()};
  settings.attempt_timeout = 200ms;
  std::vector<std::string> out;
  EXPECT_EQ(resolve("elsewhere.example", settings, out), dns_error::timeout);
  EXPECT_EQ(queued_datagrams(silent), 4u);  // A and AAAA, two rounds
  settings.attempt_timeout = 10s;
  const auto started = steady_clock::now();
  EXPECT_EQ(resolve("elsewhere.example", settings, out, 300ms), dns_error::timeout);
  EXPECT_LT(steady_clock::now() - started, 5s);  // the deadline, not the attempt timeout, ended it
}

class DirectConnect : public ::testing::Test, protected io_fixture {
 protected:
  std::error_code open(upstream_target target, tls_client_context& tls, std::unique_ptr<transport>& out) {
    direct_settings settings;
    settings.dns = via();
    return run([&]() -> asio::awaitable<std::error_code> {
      co_return co_await open_direct(target, settings, tls, steady_clock::now() + 10s, out);
    }());
  }
};

TEST_F(DirectConnect, ResolvesThenVerifiesTlsForTheName) {
  auto& nginx = shared_peers::get().nginx;
  tls_client_context tls({true, test::test_ca::instance().ca_cert().string()});
  std::unique_ptr<transport> stream;
  ASSERT_FALSE(open({"upstream.test", nginx.https_port(), true, "upstream.test"}, tls, stream));
  ASSERT_TRUE(stream);
  EXPECT_TRUE(stream->is_tls());
  EXPECT_EQ(stream->socket().remote_endpoint().address().to_string(), "127.0.0.1");
  // The certificate does not name alias.test: verification fails.
  EXPECT_TRUE(open({"alias.test", nginx.https_port(), true, "alias.test"}, tls, stream));
  EXPECT_FALSE(stream);
}

TEST_F(DirectConnect, TriesTheNextAddressWhenOneRefuses) {
  auto& nginx = shared_peers::get().nginx;
  tls_client_context tls({true, ""});
  std::unique_ptr<transport> stream;
  // refused-first.test is 127.0.0.2 (nothing listens there), then 127.0.0.1.
  ASSERT_FALSE(open({"refused-first.test", nginx.http_port(), false, ""}, tls, stream));
  EXPECT_EQ(stream->socket().remote_endpoint().address().to_string(), "127.0.0.1");
  EXPECT_EQ(open({"127.0.0.2", nginx.http_port(), false, ""}, tls, stream), asio::error::connection_refused);
  EXPECT_EQ(open({"missing.test", nginx.http_port(), false, ""}, tls, stream), dns_error::name_not_found);
}

}  // namespace
}  // namespace tsproxy::integration
