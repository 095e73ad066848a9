// The warm pool against real servers: sequential requests share one upstream connection (proved by
// nginx's own connection serials), connections a server closed are never handed out, idle, age and
// request-count limits retire connections, a reused connection dropped before any answer is replayed
// only for idempotent methods, prewarmed connections are used, and nothing leaks.

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "integration_support.hpp"
#include "support/wait.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::integration {
namespace {

// `path` with a query naming the running test, so its access log lines cannot be confused with lines
// an earlier test's requests are still producing (nginx logs after it sends the response).
std::string tagged(std::string_view path) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string tag = std::string(info->test_suite_name()) + "." + info->name();
  std::replace(tag.begin(), tag.end(), '/', '-');
  return std::string(path) + "?test=" + tag;
}

// Waits until nginx has logged `count` requests for `path` and returns those entries.
std::vector<test::access_log_entry> logged_requests(const test::nginx_server& nginx, const std::string& path,
                                                    std::size_t count) {
  const std::string line = "GET " + path + " HTTP/1.1";
  std::vector<test::access_log_entry> matching;
  test::wait_until([&] {
    matching.clear();
    for (auto& e : nginx.access_log_entries()) {
      if (e.request == line) matching.push_back(std::move(e));
    }
    return matching.size() >= count;
  });
  return matching;
}

std::set<std::uint64_t> connections_of(const std::vector<test::access_log_entry>& entries) {
  std::set<std::uint64_t> serials;
  for (const auto& e : entries) serials.insert(e.connection);
  return serials;
}

// --- 2. Sequential requests reuse one connection ---------------------------------------------------

class Reuse : public through_either_socks {};

TEST_P(Reuse, TwoHundredSequentialGetsTravelOverOneConnection) {
  upstream_client client(config());
  const auto target = http_target(peers_.nginx.http_port());
  const std::string path = tagged("/small");
  const int failures = run([&]() -> asio::awaitable<int> {
    int failed = 0;
    for (int i = 0; i < 200; ++i) {
      const auto r = co_await get(client, target, path);
      if (r.error || r.response.body != test::nginx_server::file_content("small") ||
          r.report.reused_connection != (i > 0)) {
        ADD_FAILURE() << "request " << i << ": " << describe(r.error)
                      << ", reused=" << r.report.reused_connection;
        ++failed;
      }
    }
    co_return failed;
  }());
  EXPECT_EQ(failures, 0);
  const auto entries = logged_requests(peers_.nginx, path, 200);
  ASSERT_EQ(entries.size(), 200u);
  EXPECT_EQ(connections_of(entries).size(), 1u) << "nginx saw more than one connection";
  EXPECT_EQ(entries.back().connection_requests, 200u);
  const auto stats = client.stats();
  EXPECT_EQ(stats.hits, 199u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.opened, 1u);
  EXPECT_EQ(stats.idle, 1u);
}

// microsocks copies a response in 1 KiB writes without TCP_NODELAY, so each piece after the first waits for
// the ACK of the one before; Linux delays that ACK (40 ms at least) once a reused connection answers in
// request/response rhythm. The transport asks for prompt ACKs after each request it writes, so a reused
// connection's answer comes without that wait (without it, about one in seven stalls 40 ms here).
TEST_P(Reuse, AnAnswerCopiedInPiecesWaitsForNoDelayedAck) {
  upstream_client client(config());
  const auto target = http_target(peers_.nginx.http_port());
  const std::string path = tagged("/10k");
  std::vector<double> reused_ms;
  const int failures = run([&]() -> asio::awaitable<int> {
    int failed = 0;
    for (int i = 0; i < 61; ++i) {
      const auto start = steady_clock::now();
      const auto r = co_await get(client, target, path);
      const std::chrono::duration<double, std::milli> took = steady_clock::now() - start;
      if (r.error || r.response.body != test::nginx_server::file_content("10k")) {
        ADD_FAILURE() << "request " << i << ": " << describe(r.error);
        ++failed;
      }
      if (r.report.reused_connection) reused_ms.push_back(took.count());
    }
    co_return failed;
  }());
  EXPECT_EQ(failures, 0);
  ASSERT_EQ(reused_ms.size(), 60u);
  // A stall is 40 ms or more; scheduling noise on a busy machine may delay a request or three, not one in
  // seven.
  const auto stalled =
      std::count_if(reused_ms.begin(), reused_ms.end(), [](double ms) { return ms >= 30.0; });
  std::string times;
  for (const double ms : reused_ms) times += std::to_string(ms) + " ";
  EXPECT_LE(stalled, 3) << "reused requests waited for a delayed ACK; ms: " << times;
}

TEST_P(Reuse, ConnectionClosedByTheServerWhileIdleIsReplacedSilently) {
  upstream_client client(config());
  const auto target = http_target(peers_.nginx.http_port());
  const auto first = run(get(client, target, "/short-keepalive"));  // nginx keeps this one alive for 1 s
  ASSERT_FALSE(first.error) << describe(first.error);
  ASSERT_EQ(client.stats().idle, 1u);
  ASSERT_TRUE(test::wait_until([] { return test::count_own_sockets_in_close_wait() == 1; }))
      << "nginx's close never reached the pooled connection";
  const auto second = run(get(client, target, "/small"));
  ASSERT_FALSE(second.error) << describe(second.error);
  EXPECT_EQ(second.response.body, test::nginx_server::file_content("small"));
  EXPECT_FALSE(second.report.reused_connection);
  EXPECT_FALSE(second.report.retried) << "the close should be seen before reuse, not by failing a request";
  const auto stats = client.stats();
  EXPECT_EQ(stats.stale_discards, 1u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.hits, 0u);
}

INSTANTIATE_TEST_SUITE_P(Socks, Reuse, ::testing::Values(socks_kind::microsocks, socks_kind::dante),
                         socks_name);

// --- 3. Stale connections and retirement -----------------------------------------------------------

class PoolLifecycle : public ::testing::Test, protected io_fixture {
 protected:
  engine_config config() const { return config_via(peers_.microsocks.host(), peers_.microsocks.port()); }
  shared_peers& peers_ = shared_peers::get();
};

// What the phase metrics read: a new connection's opening timed phase by phase, none over a pooled one.
TEST_F(PoolLifecycle, TheReportTimesOpeningANewTlsConnectionAndNoOpeningOverAPooledOne) {
  auto trusting = config();
  trusting.tls.ca_file = test::test_ca::instance().ca_cert().string();
  upstream_client client(trusting);
  const auto target = https_target(peers_.nginx.https_port(), "localhost");
  const auto [fresh, pooled] = run([&]() -> asio::awaitable<std::pair<fetch_result, fetch_result>> {
    auto first = co_await get(client, target, "/small");
    auto second = co_await get(client, target, "/small");
    co_return std::pair{std::move(first), std::move(second)};
  }());
  ASSERT_FALSE(fresh.error) << describe(fresh.error);
  ASSERT_FALSE(pooled.error) << describe(pooled.error);
  const auto zero = steady_clock::duration::zero();
  EXPECT_FALSE(fresh.report.reused_connection);
  EXPECT_GT(fresh.report.opening.connect, zero);
  EXPECT_GT(fresh.report.opening.socks5, zero);
  EXPECT_GT(fresh.report.opening.tls, zero);
  EXPECT_GT(fresh.report.response_head, zero);
  EXPECT_TRUE(pooled.report.reused_connection);
  EXPECT_EQ(pooled.report.opening.connect, zero);
  EXPECT_EQ(pooled.report.opening.socks5, zero);
  EXPECT_EQ(pooled.report.opening.tls, zero);
  EXPECT_GT(pooled.report.response_head, zero);
}

TEST_F(PoolLifecycle, ConnectionCloseResponsesAreNeverReused) {
  upstream_client client(config());
  const auto accepted_before = peers_.python.accepted_connections();
  for (int i = 0; i < 20; ++i) {
    const auto r = run(get(client, http_target(peers_.python.port()), "/close-after?n=1"));
    ASSERT_FALSE(r.error) << "request " << i << ": " << describe(r.error);
    EXPECT_EQ(r.response.body, "request 1\n");
    EXPECT_FALSE(r.report.reused_connection);
  }
  const auto stats = client.stats();
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.misses, 20u);
  EXPECT_EQ(stats.retries, 0u);
  EXPECT_EQ(stats.idle, 0u);
  EXPECT_EQ(peers_.python.accepted_connections() - accepted_before, 20u);
}

// The target answers a large POST from its head alone and keeps the connection open (no Connection: close)
// without reading the body. The answer is relayed, but the rest of the body was never sent, so the
// connection is out of step: it is closed, and the next request opens a new one.
TEST_F(PoolLifecycle, AConnectionWhoseRequestWasCutShortByAnEarlyAnswerIsNeverReused) {
  upstream_client client(config());
  const std::string body = byte_pattern(2 << 20);
  const auto accepted_before = peers_.python.accepted_connections();
  for (int i = 0; i < 20; ++i) {
    http_request request;
    request.method = "POST";
    request.target = "/early-answer?code=413&keep=1";
    request.body = body;
    const auto r = run(fetch(client, http_target(peers_.python.port()), request));
    ASSERT_FALSE(r.error) << "request " << i << ": " << describe(r.error);
    EXPECT_EQ(r.response.head.status, 413);
    EXPECT_EQ(r.response.body, "too large");
    EXPECT_FALSE(r.report.reused_connection) << "request " << i;
    EXPECT_EQ(client.stats().idle, 0u) << "request " << i;
  }
  const auto next = run(get(client, http_target(peers_.python.port()), "/bytes?n=10"));
  ASSERT_FALSE(next.error) << describe(next.error);
  EXPECT_FALSE(next.report.reused_connection);
  const auto stats = client.stats();
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.misses, 21u);
  EXPECT_EQ(peers_.python.accepted_connections() - accepted_before, 21u);
}

TEST_F(PoolLifecycle, IdleTimeoutRetiresAConnection) {
  auto c = config();
  c.pool.idle_timeout = 1s;
  auto now = steady_clock::now();  // the pool's clock, moved by the test
  upstream_client client(c, [&now] { return now; });
  const auto target = http_target(peers_.nginx.http_port());
  ASSERT_FALSE(run(get(client, target, "/small")).error);
  now += c.pool.idle_timeout - 1ms;
  const auto quick = run(get(client, target, "/small"));  // just within the timeout: reused
  ASSERT_FALSE(quick.error) << describe(quick.error);
  EXPECT_TRUE(quick.report.reused_connection);
  now += c.pool.idle_timeout;  // idle exactly as long as the timeout
  const auto late = run(get(client, target, "/small"));
  ASSERT_FALSE(late.error) << describe(late.error);
  EXPECT_FALSE(late.report.reused_connection);
  const auto stats = client.stats();
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.stale_discards, 0u);
}

TEST_F(PoolLifecycle, MaxRequestsPerConnectionRetiresAfterFive) {
  auto c = config();
  c.pool.max_requests_per_connection = 5;
  upstream_client client(c);
  const auto target = http_target(peers_.nginx.http_port());
  const std::string path = tagged("/small");
  for (int i = 0; i < 20; ++i) {
    const auto r = run(get(client, target, path));
    ASSERT_FALSE(r.error) << "request " << i << ": " << describe(r.error);
    EXPECT_EQ(r.report.reused_connection, i % 5 != 0) << "request " << i;
  }
  const auto entries = logged_requests(peers_.nginx, path, 20);
  ASSERT_EQ(entries.size(), 20u);
  EXPECT_EQ(connections_of(entries).size(), 4u);
  for (const auto& e : entries) EXPECT_LE(e.connection_requests, 5u);
  const auto stats = client.stats();
  EXPECT_EQ(stats.misses, 4u);
  EXPECT_EQ(stats.hits, 16u);
  EXPECT_EQ(stats.evictions, 4u);
  EXPECT_EQ(stats.idle, 0u);
}

TEST_F(PoolLifecycle, MaxAgeRetiresEvenABusyConnection) {
  // One request every 100 ms of the pool's clock keeps the connection busy (never idle near its 10 s
  // timeout); once it is max_age old it must be replaced, and not before.
  auto c = config();
  c.pool.max_age = 500ms;
  c.pool.idle_timeout = 10s;
  auto now = steady_clock::now();  // the pool's clock, moved by the test
  upstream_client client(c, [&now] { return now; });
  const auto target = http_target(peers_.nginx.http_port());
  const auto first = run(get(client, target, "/small"));
  ASSERT_FALSE(first.error) << describe(first.error);
  ASSERT_FALSE(first.report.reused_connection);
  for (int age_ms = 100; age_ms <= 500; age_ms += 100) {
    now += 100ms;
    const auto r = run(get(client, target, "/small"));
    ASSERT_FALSE(r.error) << describe(r.error);
    EXPECT_EQ(r.report.reused_connection, age_ms < 500) << "at " << age_ms << " ms of age";
  }
  const auto stats = client.stats();
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.hits, 4u);
}

TEST_F(PoolLifecycle, MaxIdleTotalEvictsTheLeastRecentlyUsedAcrossTargets) {
  auto c = config();
  c.pool.max_idle_total = 2;
  c.tls.ca_file = test::test_ca::instance().ca_cert().string();
  upstream_client client(c);
  const auto nginx = http_target(peers_.nginx.http_port());
  const auto python = http_target(peers_.python.port());
  const auto nginx_tls = https_target(peers_.nginx.https_port(), "localhost");
  ASSERT_FALSE(run(get(client, nginx, "/small")).error);
  ASSERT_FALSE(run(get(client, python, "/bytes?n=10")).error);
  ASSERT_FALSE(run(get(client, nginx_tls, "/small")).error);  // third idle connection: nginx goes
  auto stats = client.stats();
  EXPECT_EQ(stats.idle, 2u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(client.pool().idle_for(nginx), 0u);
  EXPECT_EQ(client.pool().idle_for(python), 1u);
  EXPECT_EQ(client.pool().idle_for(nginx_tls), 1u);
  EXPECT_TRUE(run(get(client, python, "/bytes?n=10")).report.reused_connection);
  EXPECT_TRUE(run(get(client, nginx_tls, "/small")).report.reused_connection);
  EXPECT_FALSE(run(get(client, nginx, "/small")).report.reused_connection);
}

TEST_F(PoolLifecycle, DisabledPoolOpensAConnectionPerRequest) {
  auto c = config();
  c.pool.enabled = false;
  upstream_client client(c);
  const auto target = http_target(peers_.nginx.http_port());
  EXPECT_EQ(run(client.prewarm(target, 3, steady_clock::now() + 5s)), 0u);
  for (int i = 0; i < 5; ++i) {
    const auto r = run(get(client, target, "/small"));
    ASSERT_FALSE(r.error) << describe(r.error);
    EXPECT_FALSE(r.report.reused_connection);
  }
  EXPECT_EQ(client.stats().opened, 5u);
  EXPECT_EQ(client.stats().idle, 0u);
}

TEST_F(PoolLifecycle, ClearClosesEveryIdleConnection) {
  upstream_client client(config());
  ASSERT_FALSE(run(get(client, http_target(peers_.nginx.http_port()), "/small")).error);
  ASSERT_FALSE(run(get(client, http_target(peers_.python.port()), "/bytes?n=10")).error);
  EXPECT_EQ(client.stats().idle, 2u);
  client.pool().clear();
  EXPECT_EQ(client.stats().idle, 0u);
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_FALSE(r.report.reused_connection);
}

// --- 4. Replaying a request the server dropped on a reused connection ------------------------------

// drop_second_request_origin answers the first request of each connection and closes the connection
// on the second one after reading it, without a response byte. The connection looked healthy when
// the pool handed it out (nothing was pending on it), which is exactly the race of a server closing
// an idle keep-alive connection as the client reuses it.
class Replay : public ::testing::Test, protected io_fixture {
 protected:
  shared_peers& peers_ = shared_peers::get();
  drop_second_request_origin origin_{io_};
  upstream_client client_{config_via(peers_.microsocks.host(), peers_.microsocks.port())};
  upstream_target target_ = http_target(origin_.port());
};

TEST_F(Replay, GetDroppedOnAReusedConnectionIsReplayedOnce) {
  const auto first = run(get(client_, target_, "/a"));
  ASSERT_FALSE(first.error) << describe(first.error);
  const auto second = run(get(client_, target_, "/b"));
  ASSERT_FALSE(second.error) << describe(second.error);
  EXPECT_EQ(second.response.body, "ok");
  EXPECT_TRUE(second.report.retried);
  const auto stats = client_.stats();
  EXPECT_EQ(stats.retries, 1u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(origin_.connections(), 2);
  EXPECT_EQ(origin_.requests(), 3);
}

TEST_F(Replay, PostDroppedOnAReusedConnectionIsNotReplayed) {
  ASSERT_FALSE(run(get(client_, target_, "/a")).error);
  http_request post;
  post.method = "POST";
  post.target = "/submit";
  post.body = "payload";
  const auto r = run(fetch(client_, target_, post));
  ASSERT_TRUE(r.error) << "a non-idempotent request was answered, so it was replayed";
  EXPECT_TRUE(r.error == engine_error::connection_closed || r.error == std::errc::connection_reset)
      << describe(r.error);
  EXPECT_FALSE(r.report.retried);
  EXPECT_TRUE(r.report.reused_connection);
  EXPECT_EQ(client_.stats().retries, 0u);
  EXPECT_EQ(origin_.connections(), 1);
  EXPECT_EQ(origin_.requests(), 2);
}

TEST_F(Replay, EachDroppedReuseIsReplayedOnItsOwnFreshConnection) {
  // The replacement connection goes back to the pool and is itself dropped on its next use.
  ASSERT_FALSE(run(get(client_, target_, "/1")).error);
  ASSERT_FALSE(run(get(client_, target_, "/2")).error);  // dropped, replayed on connection 2
  ASSERT_FALSE(run(get(client_, target_, "/3")).error);  // connection 2 dropped, replayed on 3
  EXPECT_EQ(client_.stats().retries, 2u);
  EXPECT_EQ(origin_.connections(), 3);
}

// --- 9. Prewarm ------------------------------------------------------------------------------------

class Prewarm : public ::testing::Test, protected io_fixture {
 protected:
  // A loaded machine may stretch the time between warming and using past the default idle timeout (4 s):
  // retirement is PoolLifecycle's subject, on an injected clock.
  engine_config config() const {
    auto c = config_via(peers_.microsocks.host(), peers_.microsocks.port());
    c.tls.ca_file = test::test_ca::instance().ca_cert().string();
    c.pool.idle_timeout = test::state_wait_bound * 4;
    return c;
  }
  // Generous for openers that succeed, and under run()'s cap so a hung opener fails as the pool reports it.
  static steady_clock::time_point warm_deadline() { return steady_clock::now() + test::state_wait_bound / 2; }
  // Three requests for `path` at once, each answered `body`, run beside `alongside`; returns how many reused
  // a connection. The requests' budget outlasts any wait of `alongside` within run_all's cap.
  int three_concurrent_requests(upstream_client& client, const upstream_target& target,
                                const std::string& path, const std::string& body,
                                std::vector<asio::awaitable<void>> alongside = {}) {
    int reused = 0;
    auto work = std::move(alongside);
    for (int i = 0; i < 3; ++i) {
      work.push_back([](upstream_client& c, upstream_target t, std::string p, const std::string& expected,
                        int& reused_count) -> asio::awaitable<void> {
        const auto r = co_await get(c, t, p, test::state_wait_bound);
        EXPECT_FALSE(r.error) << describe(r.error);
        EXPECT_EQ(r.response.body, expected);
        if (r.report.reused_connection) ++reused_count;
      }(client, target, path, body, reused));
    }
    run_all(io_, std::move(work));
    return reused;
  }
  shared_peers& peers_ = shared_peers::get();
};

TEST_F(Prewarm, ThreeIdleConnectionsServeThreeConcurrentRequests) {
  // The origin holds every answer until all three requests are in: three requests in flight at once, so
  // on three connections, however soon an answer could otherwise come back.
  upstream_client client(config());
  const auto target = http_target(peers_.python.port());
  const auto accepted_before = peers_.python.accepted_connections();
  const auto served_before = peers_.python.requests_served();
  EXPECT_EQ(run(client.prewarm(target, 3, warm_deadline())), 3u);
  EXPECT_EQ(client.pool().idle_for(target), 3u);
  EXPECT_EQ(peers_.python.accepted_connections() - accepted_before, 3u);

  // A released key stays released, so each run of the test (--gtest_repeat) holds under its own.
  static int runs = 0;
  const std::string key = "three-prewarmed-" + std::to_string(++runs);
  std::vector<asio::awaitable<void>> releaser;
  releaser.push_back([](const test::python_upstream& origin, std::string k) -> asio::awaitable<void> {
    asio::steady_timer poll(co_await asio::this_coro::executor);
    const auto give_up = steady_clock::now() + test::state_wait_bound / 2;  // within run_all's cap
    while (origin.held(k) < 3 && steady_clock::now() < give_up) {
      poll.expires_after(5ms);
      co_await poll.async_wait(use_tuple);
    }
    EXPECT_EQ(origin.held(k), 3u) << "the three requests were not in flight at once";
    origin.release(k);
  }(peers_.python, key));
  const int reused =
      three_concurrent_requests(client, target, "/hold?key=" + key, "released", std::move(releaser));

  EXPECT_EQ(reused, 3);
  const auto stats = client.stats();
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.misses, 0u);
  EXPECT_EQ(stats.opened, 3u);
  // Each request arrived on one of the warmed connections: the origin accepted no other.
  EXPECT_EQ(peers_.python.accepted_connections() - accepted_before, 3u);
  EXPECT_EQ(peers_.python.requests_served() - served_before, 3u);
}

TEST_F(Prewarm, PrewarmedTlsConnectionsAreUsed) {
  // nginx 1.22 negotiates TLS 1.2 by default: no bytes follow the handshake, so nothing to wait for.
  upstream_client client(config());
  const auto target = https_target(peers_.nginx.https_port(), "localhost");
  EXPECT_EQ(run(client.prewarm(target, 3, warm_deadline())), 3u);
  EXPECT_EQ(three_concurrent_requests(client, target, "/small", test::nginx_server::file_content("small")),
            3);
  const auto stats = client.stats();
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.stale_discards, 0u) << "prewarmed TLS connections were judged stale";
  EXPECT_EQ(stats.opened, 3u);
}

TEST_F(Prewarm, PrewarmedTls13ConnectionsAreUsed) {
  // TLS 1.3 servers send their session tickets after the handshake; a prewarmed connection has
  // read nothing since, so those bytes sit unread on the socket when the pool checks it.
  tls_origin origin(io_, test::test_ca::instance().server_cert(), test::test_ca::instance().server_key());
  upstream_client client(config());
  const auto target = https_target(origin.port(), "localhost");
  EXPECT_EQ(run(client.prewarm(target, 3, warm_deadline())), 3u);
  // The server writes its tickets before its side of the handshake completes: once all three have,
  // the tickets sit unread in the client sockets.
  run_until(io_, [&] { return origin.handshakes_completed() == 3; });
  const int reused = three_concurrent_requests(client, target, "/", "tls ok");
  const auto stats = client.stats();
  EXPECT_EQ(reused, 3);
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.stale_discards, 0u) << "prewarmed TLS 1.3 connections were judged stale";
  EXPECT_EQ(stats.opened, 3u);
}

TEST_F(Prewarm, RefusedOpensLeaveNothingIdle) {
  upstream_client client(config_via(peers_.dante.host(), peers_.dante.port()));
  const auto target = http_target(peers_.dante_blocked_port);
  EXPECT_EQ(run(client.prewarm(target, 3, warm_deadline())), 0u);
  EXPECT_EQ(client.stats().open_failures, 3u);
  EXPECT_EQ(client.stats().idle, 0u);
}

TEST_F(Prewarm, ReturnsOnlyOnceEveryOpenerHasFinished) {
  // Openers that hang until the deadline: prewarm must not return while they still run, since they
  // refer to the pool (a caller may destroy the client as soon as prewarm returns).
  silent_listener listener;
  upstream_client client(config_via(test::loopback_ipv4, listener.port()));
  const auto target = http_target(peers_.nginx.http_port());
  EXPECT_EQ(run(client.prewarm(target, 3, steady_clock::now() + 300ms)), 0u);
  EXPECT_EQ(client.stats().open_failures, 3u) << "prewarm returned with openers still running";
}

TEST_F(Prewarm, NeverExceedsMaxIdlePerTarget) {
  auto c = config();
  c.pool.max_idle_per_target = 2;
  upstream_client client(c);
  const auto target = http_target(peers_.nginx.http_port());
  EXPECT_EQ(run(client.prewarm(target, 5, warm_deadline())), 2u);
  EXPECT_EQ(client.stats().opened, 2u);
}

// --- 10. No descriptor leaks -----------------------------------------------------------------------

TEST_F(PoolLifecycle, TenThousandRequestsLeakNoDescriptors) {
  upstream_client client(config());
  const auto nginx = http_target(peers_.nginx.http_port());
  const auto python = http_target(peers_.python.port());
  // Warm up first: the io_context creates its reactor descriptors on first use.
  ASSERT_FALSE(run(get(client, nginx, "/small")).error);
  ASSERT_FALSE(run(get(client, python, "/close-after?n=1")).error);
  client.pool().clear();
  const std::size_t baseline = test::count_open_fds();

  const int failures = run(
      [&]() -> asio::awaitable<int> {
        int failed = 0;
        for (int i = 0; i < 10000; ++i) {
          const bool closing = i % 25 == 24;  // 400 connections the server closes after one response
          const auto r =
              co_await get(client, closing ? python : nginx, closing ? "/close-after?n=1" : "/small");
          if (r.error || r.response.head.status != 200) {
            if (failed++ < 5) ADD_FAILURE() << "request " << i << ": " << describe(r.error);
          }
        }
        co_return failed;
      }(),
      60s);
  EXPECT_EQ(failures, 0);
  const auto stats = client.stats();
  EXPECT_EQ(stats.idle, 1u);  // the nginx connection
  EXPECT_LE(test::count_open_fds(), baseline + stats.idle);
  client.pool().clear();
  EXPECT_EQ(test::count_open_fds(), baseline);
}

// --- 11. Concurrency on one io_context -------------------------------------------------------------

TEST_F(PoolLifecycle, SixteenCoroutinesShareThePoolWithinItsLimits) {
  upstream_client client(config());
  const auto target = http_target(peers_.nginx.http_port());
  const std::size_t limit = client.config().pool.max_idle_per_target;
  std::size_t max_idle = 0;
  int failures = 0;
  std::vector<asio::awaitable<void>> work;
  for (int w = 0; w < 16; ++w) {
    work.push_back([](upstream_client& c, upstream_target t, std::size_t& max_seen,
                      int& failed) -> asio::awaitable<void> {
      for (int i = 0; i < 50; ++i) {
        const auto r = co_await get(c, t, "/10k");
        if (r.error || r.response.body != test::nginx_server::file_content("10k")) {
          if (failed++ < 5) ADD_FAILURE() << "request " << i << ": " << describe(r.error);
        }
        max_seen = std::max(max_seen, c.stats().idle);
      }
    }(client, target, max_idle, failures));
  }
  run_all(io_, std::move(work), 60s);
  EXPECT_EQ(failures, 0);
  EXPECT_LE(max_idle, limit);
  const auto stats = client.stats();
  EXPECT_EQ(stats.hits + stats.misses, 800u);
  EXPECT_LE(stats.misses, 16u) << "at most one connection per concurrent coroutine is needed";
  EXPECT_LE(stats.idle, limit);
  EXPECT_EQ(stats.retries, 0u);
}

}  // namespace
}  // namespace tsproxy::integration
