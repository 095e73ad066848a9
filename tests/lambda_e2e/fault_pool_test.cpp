// Fault matrix, the pool's rows: a pooled upstream connection that the server closes, or writes to, while
// it lies idle between invocations. The next request (a POST, which is never replayed) must not be sent on
// it, and must get its own answer.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "fault_matrix.hpp"

namespace tsproxy::test {
namespace {

class PooledConnectionFault : public FaultMatrix {
 protected:
  // One invocation loop, one pool: the next request is offered the idle connection.
  local_stack stack_{socks_address(), {.max_concurrency = 1}};
  pid_t pid_ = stack_.bootstrap_pid();

  // Parks one connection in the pool, then has the server act on it while it is idle.
  void park_then(std::string_view action) {
    const std::string key = "pool-" + std::string(action);
    const auto r = stack_.request("/idle-then?key=" + key + "&do=" + std::string(action), to_python());
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.body, "idle " + key);
    python_.release(key);
    ASSERT_TRUE(wait_until([&] { return python_.idle_actions() == 1; }));
  }
  bool runtime_has_socket(const std::function<bool(const tcp_socket_info&)>& predicate) const {
    const auto sockets = runtime_sockets_to(pid_, socks_.port());
    return std::any_of(sockets.begin(), sockets.end(), predicate);
  }
};

TEST_F(PooledConnectionFault, OneClosedByTheServerWhileIdleIsNotReused) {
  ASSERT_NO_FATAL_FAILURE(park_then("close"));
  // The close has reached the runtime's end of the connection (through the relay).
  const auto closed = [](const tcp_socket_info& s) { return s.state == tcp_socket_info::close_wait; };
  ASSERT_TRUE(wait_until([&] { return runtime_has_socket(closed); }));
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
  EXPECT_EQ(python_.accepted_connections(), 2u) << "the next request needed a connection of its own";
  EXPECT_FALSE(runtime_has_socket(closed)) << "the closed connection is still held";
}

TEST_F(PooledConnectionFault, OneThatSendsUnsolicitedBytesWhileIdleIsNotReused) {
  ASSERT_NO_FATAL_FAILURE(park_then("garbage"));
  // The unsolicited response waits, unread, in the runtime's receive buffer.
  const auto unread = [](const tcp_socket_info& s) { return s.rx_queue > 0; };
  ASSERT_TRUE(wait_until([&] { return runtime_has_socket(unread); }));
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_)) << "the stale answer must not be taken for the next one";
  EXPECT_EQ(python_.accepted_connections(), 2u);
  EXPECT_FALSE(runtime_has_socket(unread)) << "the out-of-step connection is still held";
}

}  // namespace
}  // namespace tsproxy::test
