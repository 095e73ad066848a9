// Lambda freezes an environment between invocations: while the bootstrap and the extension are frozen,
// targets close the idle connections they pooled and their timers come due; at the thaw all of it is
// seen at once, together with the next invocation. tsproxy-local freezes the same way (cgroup freezer,
// or SIGSTOP where it cannot make a cgroup); both mechanisms, both invoke modes. The tests wait for
// states: the environment reported frozen, the processes really stopped, the target's close arrived.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>

#include "fault_matrix.hpp"
#include "local_stack.hpp"
#include "support/nginx_server.hpp"

namespace tsproxy::test {
namespace {

// nginx closing a connection idle for 2 s, as many servers do (Node.js after 5 s, Apache after 5 s).
nginx_options keep_alive_two_seconds() {
  return {.extra_server_config = "keepalive_timeout 2s;"};
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Whether the process is stopped by the mechanism: SIGSTOP shows as state T; the cgroup freezer in the
// `frozen 1` line of its cgroup's cgroup.events.
bool really_frozen(pid_t pid, const std::string& mechanism) {
  if (mechanism == "signal")
    return read_text("/proc/" + std::to_string(pid) + "/status").find("\nState:\tT") != std::string::npos;
  const auto cgroups = read_text("/proc/" + std::to_string(pid) + "/cgroup");
  const auto at = cgroups.find("0::");
  if (at == std::string::npos) return false;
  const auto path = cgroups.substr(at + 3, cgroups.find('\n', at) - at - 3);
  for (const auto* mount : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    const auto events = read_text(std::string(mount) + path + "/cgroup.events");
    if (!events.empty()) return events.find("frozen 1") != std::string::npos;
  }
  return false;
}

// Whether /local/stats reports the (one) environment frozen.
bool reported_frozen(const local_stack& stack) {
  return stack.stats_json().find(R"("frozen":true)") != std::string::npos;
}

class Freeze : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  const std::string mechanism_ = std::get<0>(GetParam());
  const std::string invoke_mode_ = std::get<1>(GetParam());

  void SetUp() override {
    if (mechanism_ == "cgroup" && ::geteuid() != 0) GTEST_SKIP() << "making cgroups needs root";
  }

  stack_options options(stack_options base = {}) const {
    base.invoke_mode = invoke_mode_;
    base.max_concurrency = 1;  // Lambda's classic model: Managed Instances never freeze
    base.local_args.insert(base.local_args.end(), {"--freeze", mechanism_});
    return base;
  }
  // Waits until the environment is frozen, as reported and as the kernel has it.
  ::testing::AssertionResult frozen(const local_stack& stack) const {
    const pid_t pid = stack.bootstrap_pid();
    if (wait_until([&] { return reported_frozen(stack) && really_frozen(pid, mechanism_); }))
      return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "not frozen: " << stack.stats_json();
  }
};

TEST_P(Freeze, APostAfterTheTargetClosedThePooledConnectionDuringTheFreezeGetsTheTargetsAnswer) {
  microsocks_server socks;
  nginx_server nginx(keep_alive_two_seconds());
  local_stack stack(socks.host() + ":" + std::to_string(socks.port()), options());
  const auto route = local_stack::route_to(nginx.host(), nginx.http_port());
  const auto first = stack.request("/small", route);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_TRUE(frozen(stack));
  // nginx closes the idle connection after its 2 s while the bootstrap is frozen: the close waits, unread,
  // at the bootstrap's end of its SOCKS5 connection.
  const pid_t pid = stack.bootstrap_pid();
  const auto closed = [](const tcp_socket_info& s) { return s.state == tcp_socket_info::close_wait; };
  ASSERT_TRUE(wait_until([&] {
    const auto sockets = runtime_sockets_to(pid, socks.port());
    return std::any_of(sockets.begin(), sockets.end(), closed);
  })) << "the target never closed its idle connection";
  EXPECT_TRUE(really_frozen(pid, mechanism_)) << "thawed before the next invocation";

  auto args = route;
  args.insert(args.end(), {"-X", "POST", "--data-binary", "after the freeze"});
  const auto post = stack.request("/echo-method", args);
  EXPECT_EQ(post.status, 200) << post.header("ts-error-name") << " " << post.body;
  EXPECT_EQ(post.body, "POST /echo-method\n");
  const auto entries = nginx.wait_for_access_log_entries(2);
  EXPECT_NE(entries[0].connection, entries[1].connection) << "the POST went on the closed connection";
  EXPECT_EQ(entries[1].request, "POST /echo-method HTTP/1.1");
}

TEST_P(Freeze, AFrozenTailscaledHidesTheCloseThePoolsClockDoesNotAndRetirementLogsOut) {
  // The real extension with the tailscaled stand-in, frozen with the bootstrap after init and after each
  // invocation. nginx's close of the idle connection reaches tailscaled's kernel but not the bootstrap:
  // tailscaled, frozen, relays it only after the thaw, when the next request may already be on its way.
  // What keeps that request off the closed connection is the pool's idle timeout (its clock runs through
  // the freeze), set below the target's keep-alive as README advises. The idle environment is then
  // retired, which thaws it for SHUTDOWN, and the node logs out.
  nginx_server nginx(keep_alive_two_seconds());
  tailscale_standins tailscale({.peers = "web=100.64.0.5"});
  auto base = stack_options{};
  base.extensions = {TSPROXY_EXTENSION_BIN};
  base.env = tailscale.env();
  base.env.emplace_back("TSPROXY_ALLOWED_TARGETS", "100.64.0.5:*");  // the peer is nginx on loopback
  base.env.emplace_back("TSPROXY_POOL_IDLE_TIMEOUT_MS", "1000");     // under nginx's 2 s
  base.local_args = {"--idle-retire-ms", "4000"};
  local_stack stack(tailscale.socks5_address(), options(base));
  ASSERT_TRUE(stack.wait_for_log(R"({"level":"INFO","msg":"init",)")) << stack.log();
  ASSERT_TRUE(frozen(stack)) << "frozen once init is complete";

  const auto route = local_stack::route_to("100.64.0.5", nginx.http_port());
  ASSERT_EQ(stack.request("/small", route).status, 200) << stack.log();
  ASSERT_TRUE(frozen(stack));
  const auto closed = [](const tcp_socket_info& s) { return s.state == tcp_socket_info::close_wait; };
  const auto closed_towards = [&](pid_t pid, std::uint16_t port) {
    const auto sockets = runtime_sockets_to(pid, port);
    return std::any_of(sockets.begin(), sockets.end(), closed);
  };
  ASSERT_TRUE(wait_until([&] { return closed_towards(tailscale.tailscaled_pid(), nginx.http_port()); }))
      << "the target never closed its idle connection";
  EXPECT_FALSE(closed_towards(stack.bootstrap_pid(), tailscale.socks5_port()))
      << "the close reached the bootstrap although tailscaled is frozen";

  auto args = route;
  args.insert(args.end(), {"-X", "POST", "--data-binary", "after the freeze"});
  const auto post = stack.request("/echo-method", args);
  EXPECT_EQ(post.status, 200) << post.header("ts-error-name") << " " << stack.log();
  EXPECT_EQ(post.body, "POST /echo-method\n");
  const auto entries = nginx.wait_for_access_log_entries(2);
  EXPECT_NE(entries[0].connection, entries[1].connection);

  ASSERT_TRUE(stack.wait_for_log(
      R"({"level":"INFO","msg":"environment_retired","environment":1,"reason":"spindown")"))
      << stack.log();
  EXPECT_TRUE(wait_until([&] { return tailscale.count("logout") == 1u; })) << stack.log();
  const auto log = stack.log();
  EXPECT_EQ(log.find(R"("level":"ERROR")"), std::string::npos) << "a timer fired late as an error:\n" << log;
  EXPECT_EQ(log.find(R"("level":"WARN")"), std::string::npos) << log;
  EXPECT_NE(log.find(R"("msg":"tailscale stopped")"), std::string::npos) << log;
}

INSTANTIATE_TEST_SUITE_P(MechanismsAndInvokeModes, Freeze,
                         ::testing::Combine(::testing::Values("cgroup", "signal"),
                                            ::testing::Values("buffered", "response_stream")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace tsproxy::test
