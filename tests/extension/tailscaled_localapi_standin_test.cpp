// The tailscaled stand-in's LocalAPI (tests/peers/tailscaled_standin.py) is held to what tailscaled's
// does (tailscale/tailscale@v1.102.3), and tsproxy's own LocalAPI client reads it as it is sent.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>
#include <cstring>
#include <string>

#include "common/tailscale_local_api.hpp"
#include "support/net.hpp"
#include "support/tailscaled_standin.hpp"

namespace tsproxy::test {
namespace {

// One request over the LocalAPI socket, its whole answer (head and body) as sent.
std::string ask(const std::filesystem::path& socket_path, const std::string& request) {
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, socket_path.c_str(), sizeof address.sun_path - 1);
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return {};
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
    return {};
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0;)
    answer.append(buffer, static_cast<std::size_t>(n));
  return answer;
}

std::string get(std::string_view path, std::string_view headers) {
  return "GET " + std::string(path) + " HTTP/1.1\r\n" + std::string(headers) + "\r\n";
}

std::string many_peers(int count) {
  std::string peers;
  for (int i = 0; i < count; ++i) {
    if (!peers.empty()) peers += ',';
    peers += "node" + std::to_string(i) + "=100.64.1." + std::to_string(i + 1);
  }
  return peers;
}

TEST(TailscaledLocalApiStandin, AForeignHostOriginOrRefererIsRefused) {
  // ipn/localapi/localapi.go:249-253 and 285-306: so that a web page cannot make a browser ask.
  tailscaled_standin tailscale;
  const auto status = "/localapi/v0/status?peers=false";
  EXPECT_EQ(
      ask(tailscale.socket_path(), get(status, "Host: local-tailscaled.sock\r\n")).rfind("HTTP/1.1 200", 0),
      0u);
  EXPECT_EQ(ask(tailscale.socket_path(), get(status, "Host:\r\n")).rfind("HTTP/1.1 200", 0), 0u);
  for (const std::string_view refused :
       {"Host: localhost\r\n", "Host: local-tailscaled.sock\r\nOrigin: x\r\n",
        "Host: local-tailscaled.sock\r\nReferer: http://evil/\r\n"}) {
    const auto answer = ask(tailscale.socket_path(), get(status, refused));
    EXPECT_EQ(answer.rfind("HTTP/1.1 403", 0), 0u) << refused << answer;
    EXPECT_NE(answer.find("invalid localapi request"), std::string::npos) << answer;
  }
}

TEST(TailscaledLocalApiStandin, ARequestBeforeTheBackendExistsIsHeldNotRefused) {
  // ipn/ipnserver/server.go:99-118 and 151-176.
  const auto started = std::chrono::steady_clock::now();
  tailscaled_standin tailscale({.backend_delay_ms = 300});
  const auto answer =
      ask(tailscale.socket_path(), get("/localapi/v0/status?peers=false", "Host: local-tailscaled.sock\r\n"));
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(300))
      << "answered before the backend existed";
}

TEST(TailscaledLocalApiStandin, DnsQueryIsGetOnlyAndNamesItsTypeByName) {
  // ipn/localapi/localapi.go:1746-1748 and 1783-1816.
  tailscaled_standin tailscale({.dns = "svc.example=203.0.113.9"});
  const auto host = "Host: local-tailscaled.sock\r\n";
  EXPECT_EQ(ask(tailscale.socket_path(), "POST /localapi/v0/dns-query?name=svc.example HTTP/1.1\r\n" +
                                             std::string(host) + "Content-Length: 0\r\n\r\n")
                .rfind("HTTP/1.1 405", 0),
            0u);
  EXPECT_EQ(ask(tailscale.socket_path(), get("/localapi/v0/dns-query?name=svc.example&type=1", host))
                .rfind("HTTP/1.1 400", 0),
            0u);
  EXPECT_EQ(ask(tailscale.socket_path(), get("/localapi/v0/dns-query?name=svc.example&type=aaaa", host))
                .rfind("HTTP/1.1 200", 0),
            0u);
}

TEST(TailscaledLocalApiStandin, ALargeAnswerIsChunkedAndTsproxysClientReadsIt) {
  // Go's net/http sends a handler's answer over 2048 bytes chunked (bufferBeforeChunkingSize).
  tailscaled_standin tailscale({.peers = many_peers(40)});
  const auto raw =
      ask(tailscale.socket_path(), get("/localapi/v0/status", "Host: local-tailscaled.sock\r\n"));
  EXPECT_NE(raw.find("Transfer-Encoding: chunked"), std::string::npos) << raw.substr(0, 300);
  const auto small = ask(tailscale.socket_path(),
                         get("/localapi/v0/dns-query?name=node1", "Host: local-tailscaled.sock\r\n"));
  EXPECT_NE(small.find("Content-Length:"), std::string::npos) << small;

  asio::io_context io;
  lambda::tailscale_status status;
  const std::string socket_path = tailscale.socket_path().string();  // outlives the coroutine
  auto result =
      asio::co_spawn(io,
                     lambda::query_tailscale_status(io.get_executor(), socket_path,
                                                    steady_clock::now() + std::chrono::seconds(5), status),
                     asio::use_future);
  io.run();
  EXPECT_FALSE(result.get());
  EXPECT_EQ(status.backend_state, "Running");
}

TEST(TailscaledLocalApiStandin, PeersComeOnlyWithoutPeersFalseAndAnOfflinePeerIsSaidSoAndNeverPonged) {
  // ipn/localapi/localapi.go:851-855 (StatusWithoutPeers for ?peers=false); ipn/ipnstate/ipnstate.go:264-275.
  tailscaled_standin tailscale({.peers = "web=100.64.0.5,db=100.64.0.6", .offline_peers = "db"});
  const auto host = "Host: local-tailscaled.sock\r\n";
  EXPECT_NE(ask(tailscale.socket_path(), get("/localapi/v0/status?peers=false", host)).find("\"Peer\": null"),
            std::string::npos);
  asio::io_context io;
  lambda::tailscale_full_status status;
  lambda::tailscale_ping_result pong;
  const std::string socket_path = tailscale.socket_path().string();  // outlives the coroutines
  const auto until = steady_clock::now() + std::chrono::seconds(5);
  auto asked =
      asio::co_spawn(io, lambda::query_tailscale_full_status(io.get_executor(), socket_path, until, status),
                     asio::use_future);
  auto pinged = asio::co_spawn(
      io, lambda::ping_through_tailscale(io.get_executor(), socket_path, "100.64.0.5", until, pong),
      asio::use_future);
  lambda::tailscale_ping_result none;
  const auto soon = steady_clock::now() + std::chrono::milliseconds(300);
  auto unanswered = asio::co_spawn(
      io, lambda::ping_through_tailscale(io.get_executor(), socket_path, "100.64.0.6", soon, none),
      asio::use_future);
  io.run();
  ASSERT_FALSE(asked.get());
  ASSERT_EQ(status.peers.size(), 2u);
  EXPECT_TRUE(status.peers[0].online);
  EXPECT_FALSE(status.peers[1].online);
  EXPECT_EQ(status.peers[1].last_seen, "2026-11-30T08:15:00Z");
  EXPECT_EQ(status.self.tailscale_ips, std::vector<std::string>{"100.64.0.1"});
  ASSERT_FALSE(pinged.get());
  EXPECT_EQ(pong.node_name, "web");
  EXPECT_EQ(pong.derp_region_code, "fra");
  EXPECT_EQ(unanswered.get(), make_error_code(engine_error::request_deadline))
      << "an offline peer was ponged";
}

}  // namespace
}  // namespace tsproxy::test
