// A SOCKS5 0x01 told apart end to end: curl → tsproxy-local → bootstrap → a stand-in that answers like
// tailscaled (0x01 for every dial failure, and for everything while Tailscale is starting).

#include <gtest/gtest.h>

#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

class TailscaleReadiness : public ::testing::Test {
 protected:
  nginx_server nginx_;
  // nginx as a tailnet peer: once Running, the stand-in reaches 100.64.0.5 on loopback.
  static constexpr const char* peer_ip = "100.64.0.5";
  static tailscaled_options with_nginx_as_peer(tailscaled_options options) {
    options.peers = std::string("web=") + peer_ip;
    options.unrouted_dial_ms = 100;
    return options;
  }
  static stack_options asking(const tailscaled_standin& tailscale, env_vars more = {}) {
    env_vars env{{"TSPROXY_TAILSCALE_SOCKET", tailscale.socket_path()},
                 {"TSPROXY_ALLOWED_TARGETS", "100.64.0.0/10:*,127.0.0.1:*"}};
    env.insert(env.end(), more.begin(), more.end());
    return {.env = env};
  }
  std::vector<std::string> to_nginx() const { return local_stack::route_to(peer_ip, nginx_.http_port()); }
  std::vector<std::string> to_nginx_outside_the_tailnet() const {
    return local_stack::route_to(nginx_.host(), nginx_.http_port());
  }
  static std::string dead_target(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }
};

TEST_F(TailscaleReadiness, ADownTargetFailsAtOnceWhenTailscaleIsRunning) {
  tailscaled_standin tailscale(with_nginx_as_peer({.state = "Running"}));
  local_stack stack(tailscale.socks_address(), asking(tailscale));
  const auto port = free_tcp_port();
  const auto r = stack.request("/", local_stack::route_to("127.0.0.1", port));
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_EQ(r.header("ts-error-name"), "Socks5TargetUnreachable");
  EXPECT_NE(r.header("ts-error-message").find("http://127.0.0.1:" + std::to_string(port)), std::string::npos)
      << "the message names the target: " << r.header("ts-error-message");
  // The 0x01 that made tsproxy ask might have predated Tailscale's start: one more attempt decides.
  EXPECT_EQ(tailscale.connects_to(dead_target(port)), 2u) << "retried more than once";
  EXPECT_EQ(stack.request("/small", to_nginx()).status, 200) << "and the next request is served";
  // Known up now: a 0x01 is final at once.
  EXPECT_EQ(stack.request("/", local_stack::route_to("127.0.0.1", port)).header("ts-error-name"),
            "Socks5TargetUnreachable");
  EXPECT_EQ(tailscale.connects_to(dead_target(port)), 3u) << "a final answer must not be retried";
}

TEST_F(TailscaleReadiness, ZeroX01WhileTailscaleStartsIsRetriedUntilItRuns) {
  tailscaled_standin tailscale(with_nginx_as_peer({.state = "Starting"}));
  local_stack stack(tailscale.socks_address(), asking(tailscale));
  auto pending = stack.start_request("/small", to_nginx());
  ASSERT_TRUE(wait_until([&] { return tailscale.failures() >= 2; })) << "the request was not retried";
  tailscale.set_state("Running");
  const auto r = local_stack::wait(pending);
  EXPECT_EQ(r.status, 200) << r.body << stack.log();
  EXPECT_EQ(r.body, nginx_server::file_content("small"));
}

TEST_F(TailscaleReadiness, WithoutALocalApiTheFirstSuccessEndsTheNotReadyWindow) {
  // No LocalAPI socket: 0x01 means "not ready" only within the window and before any CONNECT succeeded.
  tailscaled_standin tailscale(with_nginx_as_peer({.state = "Running", .localapi = false}));
  local_stack stack(tailscale.socks_address(),
                    asking(tailscale, {{"TSPROXY_SOCKS5_NOT_READY_WINDOW_MS", "5000"}}));
  const auto port = free_tcp_port();
  const auto early = stack.request("/", local_stack::route_to("127.0.0.1", port));
  EXPECT_EQ(early.status, 502);
  EXPECT_EQ(early.header("ts-error-name"), "Socks5TargetUnreachable");
  EXPECT_GE(tailscale.connects_to(dead_target(port)), 2u) << "within the window, before any success: retried";

  ASSERT_EQ(stack.request("/small", to_nginx()).status, 200);  // a tailnet dial: the listener is up now
  const auto before = tailscale.connects_to(dead_target(port));
  const auto late = stack.request("/", local_stack::route_to("127.0.0.1", port));
  EXPECT_EQ(late.status, 502);
  EXPECT_EQ(late.header("ts-error-name"), "Socks5TargetUnreachable");
  EXPECT_EQ(tailscale.connects_to(dead_target(port)), before + 1) << "after a success 0x01 is final";
}

TEST_F(TailscaleReadiness, AHostNetworkDialBeforeRunningDoesNotMakeATailnetTargetsZeroX01Final) {
  // Before Running tailscaled dials addresses outside the tailnet over the host's network: that CONNECT
  // succeeds while a tailnet target still gets 0x01, which must stay "not ready yet".
  tailscaled_standin tailscale(with_nginx_as_peer({.state = "Starting"}));
  local_stack stack(tailscale.socks_address(), asking(tailscale));
  ASSERT_EQ(stack.request("/small", to_nginx_outside_the_tailnet()).status, 200) << stack.log();
  auto pending = stack.start_request("/small", to_nginx());
  const auto to_peer = std::string(peer_ip) + ":" + std::to_string(nginx_.http_port());
  ASSERT_TRUE(wait_until([&] { return tailscale.connects_to(to_peer) >= 2; })) << "the 0x01 was not retried";
  tailscale.set_state("Running");
  const auto r = local_stack::wait(pending);
  EXPECT_EQ(r.status, 200) << r.body << stack.log();
  EXPECT_EQ(r.body, nginx_server::file_content("small"));
}

TEST_F(TailscaleReadiness, AWarmerDoesNotWaitOnADeadPrewarmTarget) {
  tailscaled_standin tailscale({.state = "Running"});
  const auto port = free_tcp_port();
  local_stack stack(tailscale.socks_address(), asking(tailscale, {{"TSPROXY_PREWARM", dead_target(port)},
                                                                  {"TSPROXY_PREWARM_CONNECTIONS", "3"}}));
  EXPECT_EQ(stack.invoke_raw(R"({"warmer":true,"warmerIndex":0,"warmerTimestamp":"2026-12-01T00:00:00Z"})"),
            R"({"success":true})");
  // Three openers at start-up and three for the warmer, each refused and tried at most once more (while
  // Tailscale is first seen up), never retried until a deadline.
  ASSERT_TRUE(wait_until([&] { return tailscale.connects_to(dead_target(port)) >= 6; }));
  EXPECT_LE(tailscale.connects_to(dead_target(port)), 12u);
}

}  // namespace
}  // namespace tsproxy::test
