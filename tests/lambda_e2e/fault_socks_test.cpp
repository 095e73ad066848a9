// Fault matrix, the SOCKS5 listener's rows: curl → tsproxy-local → bootstrap → a listener that refuses,
// resets, answers garbage, hangs mid-handshake, does not run, or cannot accept — then, switched back to
// relaying to microsocks, serves the next request on the same address.

#include <gtest/gtest.h>

#include "fault_listener.hpp"
#include "fault_matrix.hpp"

namespace tsproxy::test {
namespace {

class SocksFault : public FaultMatrix {
 protected:
  // In front of microsocks: relays until a test switches it to a fault.
  fault_listener front_{socks_.port()};

  // Runs one request against the front in `fault`, checks the answer, then serves the next request
  // through the same address once the front relays again.
  void expect_row(fault_listener::mode fault, int status, std::string_view name, env_vars env = {}) {
    local_stack stack(front_.address(), {.env = std::move(env)});
    const pid_t pid = stack.bootstrap_pid();
    front_.set_mode(fault);
    EXPECT_TRUE(is_proxy_error(stack.request("/bytes?n=100", to_python()), status, name));
    front_.set_mode(fault_listener::mode::relay);
    EXPECT_TRUE(keeps_serving(stack, pid, python_));
  }
};

TEST_F(SocksFault, ATargetPortThatRefusesIs502) {
  local_stack stack(socks_address());
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/", local_stack::route_to("127.0.0.1", free_tcp_port())), 502,
                             "Socks5ConnectionRefused"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(SocksFault, AListenerThatRefusesByRuleIs502) {
  const auto blocked = free_tcp_port();
  dante_server dante({.blocked_ports = {blocked}});
  local_stack stack(dante.host() + ":" + std::to_string(dante.port()));
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/", local_stack::route_to("127.0.0.1", blocked)), 502,
                             "Socks5NotAllowed"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(SocksFault, AListenerThatResetsAtOnceIs502) {
  expect_row(fault_listener::mode::close_at_once, 502, "ConnectionReset");
}

TEST_F(SocksFault, AListenerThatAnswersGarbageIs502) {
  expect_row(fault_listener::mode::garbage, 502, "Socks5BadVersion");
}

TEST_F(SocksFault, AListenerThatNeverAnswersTheGreetingEndsAtTheSocks5Timeout) {
  expect_row(fault_listener::mode::hang, 504, "Socks5Timeout", {{"TSPROXY_SOCKS5_TIMEOUT_MS", "500"}});
}

TEST_F(SocksFault, AListenerThatNeverAnswersTheConnectEndsAtTheSocks5Timeout) {
  expect_row(fault_listener::mode::hang_after_greeting, 504, "Socks5Timeout",
             {{"TSPROXY_SOCKS5_TIMEOUT_MS", "500"}});
}

TEST_F(SocksFault, AListenerThatIsNotRunningIs502UntilItRuns) {
  expect_row(fault_listener::mode::down, 502, "ConnectionRefused");
}

TEST_F(SocksFault, AListenerThatCannotAcceptEndsAtTheConnectTimeout) {
  expect_row(fault_listener::mode::backlog_full, 504, "ConnectTimeout",
             {{"TSPROXY_CONNECT_TIMEOUT_MS", "300"}});
}

}  // namespace
}  // namespace tsproxy::test
