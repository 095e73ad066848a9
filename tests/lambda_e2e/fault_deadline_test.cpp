// Fault matrix, the deadline's rows: the invocation's deadline (Lambda's, less TSPROXY_DEADLINE_MARGIN_MS)
// running out at each stage of an exchange — connecting to the SOCKS5 listener, its handshake, TLS, the
// response head and the body — and each stage's own timeout. The proxy answers 504 before Lambda's
// deadline (a 504 from the proxy, not the emulator's 502 Sandbox.Timedout), keeps its process and serves
// the next request.

#include <gtest/gtest.h>

#include "fault_listener.hpp"
#include "fault_matrix.hpp"

namespace tsproxy::test {
namespace {

class DeadlineAtEachStage : public FaultMatrix {
 protected:
  static constexpr int lambda_timeout_ms = 2000;
  static constexpr int margin_ms = 500;

  // A Lambda timeout of 2 s with the phase timeouts at their defaults (10 s and more): the invocation's
  // deadline comes first.
  static stack_options short_deadline(std::string mode = "buffered", env_vars env = {}) {
    env.emplace_back("TSPROXY_DEADLINE_MARGIN_MS", std::to_string(margin_ms));
    return {.invoke_mode = std::move(mode), .timeout_ms = lambda_timeout_ms, .env = std::move(env)};
  }
  // Answered at the invocation's deadline less the margin, by the emulator's clock (from handoff).
  static void expect_answered_at_the_deadline(const local_stack& stack, const std::string& request_id) {
    const auto handoff_ms = stack.invoke_timing(request_id, "handoff_to_response_ms");
    ASSERT_TRUE(handoff_ms) << stack.log();
    EXPECT_GE(*handoff_ms, lambda_timeout_ms - margin_ms - 100.0);
    EXPECT_LT(*handoff_ms, static_cast<double>(lambda_timeout_ms));
  }

  fault_listener front_{socks_.port()};                   // in front of microsocks
  fault_listener silent_{0, fault_listener::mode::hang};  // a target that accepts and never speaks
};

TEST_F(DeadlineAtEachStage, ConnectingToTheSocksListener) {
  local_stack stack(front_.address(), short_deadline("buffered", {{"TSPROXY_CONNECT_TIMEOUT_MS", "10000"}}));
  const pid_t pid = stack.bootstrap_pid();
  front_.set_mode(fault_listener::mode::backlog_full);
  const auto r = stack.request("/bytes?n=100", to_python());
  EXPECT_TRUE(is_proxy_error(r, 504, "RequestDeadline"));
  expect_answered_at_the_deadline(stack, r.header("x-amzn-requestid"));
  front_.set_mode(fault_listener::mode::relay);
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(DeadlineAtEachStage, TheSocks5Handshake) {
  local_stack stack(front_.address(), short_deadline());
  const pid_t pid = stack.bootstrap_pid();
  front_.set_mode(fault_listener::mode::hang_after_greeting);
  const auto r = stack.request("/bytes?n=100", to_python());
  EXPECT_TRUE(is_proxy_error(r, 504, "RequestDeadline"));
  expect_answered_at_the_deadline(stack, r.header("x-amzn-requestid"));
  front_.set_mode(fault_listener::mode::relay);
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(DeadlineAtEachStage, TheTlsHandshake) {
  local_stack stack(socks_address(), short_deadline());
  const pid_t pid = stack.bootstrap_pid();
  const auto r = stack.request("/", local_stack::route_to("127.0.0.1", silent_.port(), true));
  EXPECT_TRUE(is_proxy_error(r, 504, "RequestDeadline"));
  expect_answered_at_the_deadline(stack, r.header("x-amzn-requestid"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

// A body of 64 KiB or more with a Content-Length is handed over while it arrives: at the deadline the
// part that arrived is already on its way, and the failure becomes the payload's status and headers.
TEST_F(DeadlineAtEachStage, TheBodyOfALargeAnswerHandedOverWhileItArrives) {
  local_stack stack(socks_address(), short_deadline());
  const pid_t pid = stack.bootstrap_pid();
  const auto r = stack.request("/stall-mid-body?n=300000", to_python());
  EXPECT_TRUE(is_proxy_error_after_part(r, 504, "RequestDeadline", 300000));
  expect_answered_at_the_deadline(stack, r.header("x-amzn-requestid"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(DeadlineAtEachStage, TheTlsHandshakeTimeout) {
  local_stack stack(socks_address(), {.env = {{"TSPROXY_TLS_HANDSHAKE_TIMEOUT_MS", "500"}}});
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/", local_stack::route_to("127.0.0.1", silent_.port(), true)),
                             504, "TlsHandshakeTimeout"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

// The response head with the invocation's deadline:
// LambdaE2e.UpstreamThatNeverAnswersGets504BeforeTheLambdaDeadline.
TEST_F(DeadlineAtEachStage, TheResponseHeadTimeout) {
  local_stack stack(socks_address(), {.env = {{"TSPROXY_RESPONSE_HEAD_TIMEOUT_MS", "500"}}});
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/never", to_python()), 504, "ResponseHeadTimeout"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

// The body idle timeout: UpstreamFault.SlowLorisBody*.
TEST_F(DeadlineAtEachStage, TheBodyBuffered) {
  local_stack stack(socks_address(), short_deadline());
  const pid_t pid = stack.bootstrap_pid();
  // A byte every 200 ms never trips the idle timeout, but 100 of them outlast the invocation.
  const auto r = stack.request("/slow-body?ms=200&n=100", to_python());
  EXPECT_TRUE(is_proxy_error(r, 504, "RequestDeadline"));
  expect_answered_at_the_deadline(stack, r.header("x-amzn-requestid"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(DeadlineAtEachStage, TheBodyStreamed) {
  local_stack stack(socks_address(), short_deadline("response_stream"));
  const pid_t pid = stack.bootstrap_pid();
  const auto r = stack.request("/slow-body?ms=200&n=100", to_python());
  EXPECT_TRUE(is_cut_stream(stack, r, 200, "RequestDeadline"));
  expect_answered_at_the_deadline(stack, r.header("x-amzn-requestid"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

}  // namespace
}  // namespace tsproxy::test
