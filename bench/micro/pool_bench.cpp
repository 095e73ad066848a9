// Pool acquire/release of a warm connection: the per-request cost of reuse, including the
// staleness check (one non-blocking peek) made before every reuse.

#include <benchmark/benchmark.h>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "tsproxy/engine/connection_pool.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/tls_client_context.hpp"
#include "tsproxy/engine/upstream_connector.hpp"

namespace {

using namespace tsproxy;

// Parameters, not lambda captures: a coroutine must not refer to a closure that dies before it runs.
asio::awaitable<void> acquire_release_loop(benchmark::State& state, connection_pool& pool,
                                           const upstream_target& target) {
  for (auto _ : state) {
    connection_ptr c;
    if (co_await pool.acquire(target, steady_clock::now() + std::chrono::seconds(1), false, c)) {
      state.SkipWithError("acquire failed");
      break;
    }
    pool.release(std::move(c), true);
  }
}

void pool_acquire_release(benchmark::State& state) {
  asio::io_context io(1);
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket client(io);
  client.connect(acceptor.local_endpoint());
  asio::ip::tcp::socket server = acceptor.accept();  // kept open: the peer of the pooled connection

  const engine_config config;
  tls_client_context tls(config.tls);
  upstream_connector connector(config, tls);
  connection_pool pool(config.pool, connector);
  const upstream_target target{"100.101.102.103", 8080, false, {}};

  auto connection = std::make_unique<pooled_connection>();
  connection->stream = std::make_unique<transport>(std::move(client));
  connection->target = target;
  connection->created = connection->last_used = steady_clock::now();
  pool.release(std::move(connection), true);

  spawn_reported(io.get_executor(), "pool bench", acquire_release_loop(state, pool, target));
  io.run();
  if (pool.stats().misses != 0) state.SkipWithError("the warm connection was not reused");
}
BENCHMARK(pool_acquire_release);

}  // namespace

BENCHMARK_MAIN();
