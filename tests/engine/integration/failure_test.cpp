// Failures on the way to the upstream: every phase timeout fires within its bound and names its
// phase, the request deadline wins over a longer phase timeout, and SOCKS5 refusals, "not ready yet"
// answers and authentication come back as the errors that name them.

#include <gtest/gtest.h>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "integration_support.hpp"
#include "tsproxy/engine/tls_client_context.hpp"
#include "tsproxy/engine/upstream_connector.hpp"

namespace tsproxy::integration {
namespace {

// A timeout may fire late by scheduling noise (and the connection set-up before it counts too), never
// early. The slack is sized for a 2-core machine running four test processes at once; each test's
// competing event (the upstream's own answer) is further away than bound + slack, so a timeout that
// did not fire still fails the test.
constexpr milliseconds slack = 1000ms;

#define EXPECT_WITHIN_BOUND(elapsed, bound)                                    \
  do {                                                                         \
    EXPECT_GE((elapsed).count(), (bound).count()) << "fired before its bound"; \
    EXPECT_LE((elapsed).count(), ((bound) + slack).count()) << "fired late";   \
  } while (false)

// --- The harness itself ---------------------------------------------------------------------------

TEST(Harness, WallClockCapFailsAHungCoroutineInsteadOfHanging) {
  asio::io_context io(1);
  const auto start = steady_clock::now();
  EXPECT_THROW(run_until_done(
                   io,
                   []() -> asio::awaitable<int> {
                     asio::steady_timer forever(co_await asio::this_coro::executor, 1h);
                     co_await forever.async_wait(asio::use_awaitable);
                     co_return 0;
                   }(),
                   200ms),
               std::runtime_error);
  EXPECT_LT(steady_clock::now() - start, 10s) << "the cap did not end the run (the timer is 1 h)";
}

// --- 6. Timeouts -----------------------------------------------------------------------------------

class Timeouts : public ::testing::Test, protected io_fixture {
 protected:
  engine_config config() const { return config_via(peers_.microsocks.host(), peers_.microsocks.port()); }
  shared_peers& peers_ = shared_peers::get();
};

TEST_F(Timeouts, ResponseHeadTimeout) {
  auto c = config();
  c.timeouts.response_head = 300ms;
  upstream_client client(c);
  const auto r = run(get(client, http_target(peers_.python.port()), "/slow-headers?ms=2000"));
  EXPECT_EQ(r.error, engine_error::response_head_timeout) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 300ms);
  EXPECT_FALSE(r.report.response_started);
  EXPECT_EQ(client.stats().idle, 0u);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(Timeouts, BodyIdleTimeout) {
  auto c = config();
  c.timeouts.body_idle = 300ms;
  upstream_client client(c);
  const auto r = run(get(client, http_target(peers_.python.port()), "/slow-body?ms=2000&n=3"));
  EXPECT_EQ(r.error, engine_error::body_idle_timeout) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 300ms);
  EXPECT_TRUE(r.report.response_started);
  EXPECT_EQ(r.response.head.status, 200);
  EXPECT_EQ(client.stats().idle, 0u);
}

TEST_F(Timeouts, BodyIdleTimeoutRestartsWithEveryPiece) {
  // Bytes every 100 ms for ~1.4 s: the whole body takes longer than the 1 s idle bound, but no single
  // pause comes near it (a pause would have to stretch tenfold to reach it).
  auto c = config();
  c.timeouts.body_idle = 1000ms;
  upstream_client client(c);
  const auto r = run(get(client, http_target(peers_.python.port()), "/slow-body?ms=100&n=14"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_TRUE(r.response.body == byte_pattern(14));
  EXPECT_GE(r.elapsed, 1300ms);
}

TEST_F(Timeouts, RequestDeadlineShorterThanThePhaseTimeout) {
  upstream_client client(config());  // response_head stays at 60 s
  const auto r = run(get(client, http_target(peers_.python.port()), "/never", 400ms));
  EXPECT_EQ(r.error, engine_error::request_deadline) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 400ms);
  EXPECT_EQ(client.stats().idle, 0u);
}

TEST_F(Timeouts, RequestDeadlineDuringTheBody) {
  upstream_client client(config());  // body_idle stays at 60 s
  const auto r = run(get(client, http_target(peers_.python.port()), "/slow-body?ms=2000&n=3", 400ms));
  EXPECT_EQ(r.error, engine_error::request_deadline) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 400ms);
}

TEST_F(Timeouts, RequestDeadlineDuringTheSocksHandshake) {
  silent_listener listener;
  upstream_client client(config_via(test::loopback_ipv4, listener.port()));  // socks5 stays at 10 s
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small", 400ms));
  EXPECT_EQ(r.error, engine_error::request_deadline) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 400ms);
}

TEST_F(Timeouts, TimeoutOnAReusedConnectionIsNotReplayed) {
  upstream_client client(config());
  const auto target = http_target(peers_.python.port());
  ASSERT_FALSE(run(get(client, target, "/bytes?n=10")).error);
  const auto r = run(get(client, target, "/never", 300ms));
  EXPECT_EQ(r.error, engine_error::request_deadline) << describe(r.error);
  EXPECT_TRUE(r.report.reused_connection);
  EXPECT_FALSE(r.report.retried);
  EXPECT_EQ(client.stats().retries, 0u);
  EXPECT_WITHIN_BOUND(r.elapsed, 300ms);
}

TEST_F(Timeouts, ConnectTimeout) {
  full_backlog_listener listener;  // SYNs to it are dropped
  auto c = config_via(test::loopback_ipv4, listener.port());
  c.timeouts.connect = 300ms;
  upstream_client client(c);
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small"));
  EXPECT_EQ(r.error, engine_error::connect_timeout) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 300ms);
  EXPECT_EQ(client.stats().open_failures, 1u);
}

TEST_F(Timeouts, Socks5HandshakeTimeout) {
  silent_listener listener;  // accepts (in the kernel) and never answers the greeting
  auto c = config_via(test::loopback_ipv4, listener.port());
  c.timeouts.socks5 = 300ms;
  upstream_client client(c);
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small"));
  EXPECT_EQ(r.error, engine_error::socks5_timeout) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 300ms);
}

TEST_F(Timeouts, TlsHandshakeTimeout) {
  silent_listener upstream;  // the tunnel opens, but nothing ever answers the ClientHello
  auto c = config();
  c.timeouts.tls_handshake = 300ms;
  upstream_client client(c);
  const auto r = run(get(client, https_target(upstream.port(), "localhost"), "/"));
  EXPECT_EQ(r.error, engine_error::tls_handshake_timeout) << describe(r.error);
  EXPECT_WITHIN_BOUND(r.elapsed, 300ms);
}

// --- 7. SOCKS5 answers -----------------------------------------------------------------------------

class Socks5 : public ::testing::Test, protected io_fixture {
 protected:
  shared_peers& peers_ = shared_peers::get();
};

TEST_F(Socks5, DanteRuleRefusalIsNotAllowed) {
  upstream_client client(config_via(peers_.dante.host(), peers_.dante.port()));
  const auto r = run(get(client, http_target(peers_.dante_blocked_port), "/"));
  EXPECT_EQ(r.error, engine_error::socks5_not_allowed) << describe(r.error);
  EXPECT_TRUE(is_socks5_error(r.error));
  EXPECT_LT(r.elapsed, 2s) << "a final refusal must not be retried";
}

TEST_F(Socks5, NothingListeningIsConnectionRefused) {
  upstream_client client(config_via(peers_.dante.host(), peers_.dante.port()));
  const auto r = run(get(client, http_target(test::free_tcp_port()), "/"));
  EXPECT_EQ(r.error, engine_error::socks5_connection_refused) << describe(r.error);
  EXPECT_LT(r.elapsed, 2s) << "a final refusal must not be retried";
}

TEST_F(Socks5, GeneralFailureIsRetriedUntilTheListenerIsReady) {
  fake_socks5_server listener(io_, 2);  // 0x01 twice, then relays
  upstream_client client(config_via(test::loopback_ipv4, listener.port()));
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.body, test::nginx_server::file_content("small"));
  EXPECT_EQ(listener.failures_sent(), 2);
  EXPECT_EQ(listener.connects_seen(), 3);
  EXPECT_EQ(client.stats().opened, 1u);
  EXPECT_EQ(client.stats().open_failures, 0u);
}

TEST_F(Socks5, ConnectorCountsNotReadyRetries) {
  // upstream_client does not expose its connector, so this drives one directly.
  fake_socks5_server listener(io_, 2);
  const auto config = config_via(test::loopback_ipv4, listener.port());
  tls_client_context tls_context(config.tls);
  upstream_connector connector(config, tls_context);
  std::unique_ptr<transport> stream;
  const auto ec = run([&]() -> asio::awaitable<std::error_code> {
    co_return co_await connector.open(http_target(peers_.nginx.http_port()), steady_clock::now() + 5s,
                                      stream);
  }());
  ASSERT_FALSE(ec) << describe(ec);
  EXPECT_TRUE(stream);
  EXPECT_EQ(connector.not_ready_retries(), 2u);
  stream.reset();
}

// Drives one upstream_connector against a listener that answers 0x01 to everything, with `probe`.
struct probed_open {
  std::error_code error;
  int connects = 0;
};
probed_open open_through_failing_listener(asio::io_context& io, const upstream_target& target,
                                          listener_probe probe, milliseconds window, milliseconds budget) {
  fake_socks5_server listener(io, -1);
  auto config = config_via(test::loopback_ipv4, listener.port());
  config.socks5.not_ready_window = window;
  tls_client_context tls_context(config.tls);
  upstream_connector connector(config, tls_context);
  if (probe) connector.set_listener_probe(std::move(probe));
  std::unique_ptr<transport> stream;
  const auto ec = run_until_done(
      io,
      [&]() -> asio::awaitable<std::error_code> {
        co_return co_await connector.open(target, steady_clock::now() + budget, stream);
      }(),
      30s);
  return {ec, listener.connects_seen()};
}

listener_probe answering(listener_state state, int* asked = nullptr) {
  return [state, asked](time_point) -> asio::awaitable<listener_state> {
    if (asked) ++*asked;
    co_return state;
  };
}

TEST_F(Socks5, GeneralFailureFromAListenerThatIsUpIsFinalAtOnce) {
  int asked = 0;
  const auto r = open_through_failing_listener(io_, http_target(peers_.nginx.http_port()),
                                               answering(listener_state::up, &asked), 10s, 5s);
  EXPECT_EQ(r.error, engine_error::socks5_target_unreachable) << describe(r.error);
  EXPECT_EQ(r.connects, 2) << "one more attempt once Tailscale is seen up, then final";
  EXPECT_EQ(asked, 1) << "once known up, the listener is not asked again";
}

TEST_F(Socks5, GeneralFailureWhileTheProbeSaysStartingIsRetriedUntilTheDeadline) {
  const auto r = open_through_failing_listener(io_, http_target(peers_.nginx.http_port()),
                                               answering(listener_state::starting), 0ms, 800ms);
  EXPECT_EQ(r.error, engine_error::socks5_general_failure) << "still not ready when time ran out";
  EXPECT_GE(r.connects, 2) << "the probe, not the (empty) window, decides";
}

TEST_F(Socks5, ARetryCutShortByTheDeadlineReportsTheListenersLastAnswer) {
  // 0x01 once, then a CONNECT that is never answered: the retry is still waiting when time runs out.
  fake_socks5_server listener(io_, 1, 0x01, fake_socks5_server::then::hang);
  auto config = config_via(test::loopback_ipv4, listener.port());
  config.socks5.not_ready_window = 30s;
  config.timeouts.socks5 = 60s;  // the request's deadline, not the phase's, ends the wait
  tls_client_context tls_context(config.tls);
  upstream_connector connector(config, tls_context);
  std::unique_ptr<transport> stream;
  const auto ec = run([&]() -> asio::awaitable<std::error_code> {
    co_return co_await connector.open(http_target(peers_.nginx.http_port()), steady_clock::now() + 1500ms,
                                      stream);
  }());
  EXPECT_EQ(ec, engine_error::socks5_general_failure) << describe(ec);
  EXPECT_EQ(listener.connects_seen(), 2) << "the refused CONNECT and the retry that hung";
  EXPECT_FALSE(stream);
}

TEST_F(Socks5, GeneralFailureWithAnUnknownStateFollowsTheWindow) {
  const auto closed = open_through_failing_listener(io_, http_target(peers_.nginx.http_port()),
                                                    answering(listener_state::unknown), 0ms, 5s);
  EXPECT_EQ(closed.error, engine_error::socks5_target_unreachable);
  EXPECT_EQ(closed.connects, 1) << "past the window, 0x01 is final";
  const auto open =
      open_through_failing_listener(io_, http_target(peers_.nginx.http_port()), nullptr, 30s, 800ms);
  EXPECT_EQ(open.error, engine_error::socks5_general_failure);
  EXPECT_GE(open.connects, 2) << "within the window, 0x01 is retried";
}

// nginx as a tailnet peer: the fake listener reaches 100.64.0.2 on loopback.
upstream_target tailnet_target(std::uint16_t port) {
  return {"100.64.0.2", port, false, ""};
}

// Opens one connection to `target` through a listener that relays every CONNECT; whether the
// connector then knows the listener up (so that a 0x01 would be final).
bool listener_up_after_opening(asio::io_context& io, const upstream_target& target) {
  fake_socks5_server listener(io, 0);
  auto config = config_via(test::loopback_ipv4, listener.port());
  tls_client_context tls_context(config.tls);
  upstream_connector connector(config, tls_context);
  std::unique_ptr<transport> stream;
  const auto ec = run_until_done(
      io,
      [&]() -> asio::awaitable<std::error_code> {
        co_return co_await connector.open(target, steady_clock::now() + 5s, stream);
      }(),
      30s);
  EXPECT_FALSE(ec) << describe(ec);
  return connector.listener_up();
}

TEST_F(Socks5, GeneralFailureAfterASuccessfulConnectIntoTheTailnetIsFinal) {
  EXPECT_TRUE(listener_up_after_opening(io_, tailnet_target(peers_.nginx.http_port())));
}

TEST_F(Socks5, ASuccessfulConnectOutsideTheTailnetProvesNothing) {
  // Before it is Running tailscaled dials such addresses over the host's network: they succeed while
  // every tailnet target still answers 0x01, which must stay "not ready yet".
  EXPECT_FALSE(listener_up_after_opening(io_, http_target(peers_.nginx.http_port())));
}

TEST_F(Socks5, WhatOneConnectorLearnsHoldsForEveryConnectorSharingItsReadiness) {
  // Two event-loop threads' connectors: one CONNECT succeeds through the first, so a 0x01 to the
  // second is final at once, without asking the probe or trying again.
  auto readiness = std::make_shared<listener_readiness>();
  fake_socks5_server relaying(io_, 0);
  fake_socks5_server refusing(io_, -1);
  auto relaying_config = config_via(test::loopback_ipv4, relaying.port());
  auto refusing_config = config_via(test::loopback_ipv4, refusing.port());
  refusing_config.socks5.not_ready_window = 30s;
  tls_client_context tls_context(relaying_config.tls);
  upstream_connector first(relaying_config, tls_context);
  upstream_connector second(refusing_config, tls_context);
  first.share_readiness(readiness);
  second.share_readiness(readiness);
  int asked = 0;
  second.set_listener_probe(answering(listener_state::starting, &asked));
  const auto target = tailnet_target(peers_.nginx.http_port());
  std::unique_ptr<transport> stream;
  ASSERT_FALSE(run([&]() -> asio::awaitable<std::error_code> {
    co_return co_await first.open(target, steady_clock::now() + 5s, stream);
  }()));
  EXPECT_TRUE(second.listener_up());
  std::unique_ptr<transport> refused;
  const auto ec = run([&]() -> asio::awaitable<std::error_code> {
    co_return co_await second.open(target, steady_clock::now() + 5s, refused);
  }());
  EXPECT_EQ(ec, engine_error::socks5_target_unreachable) << describe(ec);
  EXPECT_EQ(refusing.connects_seen(), 1);
  EXPECT_EQ(asked, 0) << "the listener is known up: nothing to ask";
}

TEST_F(Socks5, GeneralFailureForeverEndsByTheDeadline) {
  fake_socks5_server listener(io_, -1);
  upstream_client client(config_via(test::loopback_ipv4, listener.port()));
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small", 1500ms));
  EXPECT_EQ(r.error, engine_error::socks5_general_failure) << describe(r.error);
  // The connector gives up once its next backoff pause would end past the deadline (pauses are at
  // most 1 s), so it ends at most 1 s early and never late.
  EXPECT_LE(r.elapsed, 1500ms + slack);
  EXPECT_GE(r.elapsed, 500ms);
  EXPECT_GE(listener.connects_seen(), 4);
  EXPECT_EQ(client.stats().open_failures, 1u);
}

TEST_F(Socks5, UsernamePasswordAuthentication) {
  test::microsocks_server locked({"tsproxy", "s3cret"});
  const auto target = http_target(peers_.nginx.http_port());

  auto good = config_via(locked.host(), locked.port());
  good.socks5.username = "tsproxy";
  good.socks5.password = "s3cret";
  upstream_client client(good);
  const auto ok = run(get(client, target, "/small"));
  ASSERT_FALSE(ok.error) << describe(ok.error);
  EXPECT_EQ(ok.response.body, test::nginx_server::file_content("small"));

  auto bad = good;
  bad.socks5.password = "wrong";
  upstream_client refused(bad);
  const auto denied = run(get(refused, target, "/small"));
  EXPECT_EQ(denied.error, engine_error::socks5_auth_failed) << describe(denied.error);

  upstream_client anonymous(config_via(locked.host(), locked.port()));
  const auto none = run(get(anonymous, target, "/small"));
  EXPECT_EQ(none.error, engine_error::socks5_no_acceptable_method) << describe(none.error);
}

TEST_F(Socks5, LocalhostNamesTheLoopbackListener) {
  upstream_client client(config_via("localhost", peers_.microsocks.port()));
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
}

TEST_F(Socks5, PipelinedGreetingWorksWithDante) {
  // dante reads ahead, so the CONNECT may ride with the greeting.
  auto c = config_via(peers_.dante.host(), peers_.dante.port());
  c.socks5.pipeline = true;
  upstream_client client(c);
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.body, test::nginx_server::file_content("small"));
}

}  // namespace
}  // namespace tsproxy::integration
