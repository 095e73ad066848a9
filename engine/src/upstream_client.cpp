#include "tsproxy/engine/upstream_client.hpp"

#include "http_exchange.hpp"

namespace tsproxy {

upstream_client::upstream_client(engine_config config, pool_clock clock)
    : config_(std::move(config)),
      tls_(config_.tls),
      connector_(config_, tls_),
      pool_(config_.pool, connector_, std::move(clock)) {}

pool_stats upstream_client::stats() const {
  pool_stats s = pool_.stats();
  s.not_ready_retries = connector_.not_ready_retries();
  return s;
}

asio::awaitable<std::error_code> upstream_client::exchange(const upstream_target& target,
                                                           const http_request& request, response_sink& sink,
                                                           time_point deadline, exchange_report* report) {
  exchange_report local;
  exchange_report& r = report != nullptr ? *report : local;
  for (int attempt = 0;; ++attempt) {
    connection_ptr connection;
    if (auto ec = co_await pool_.acquire(target, deadline, attempt > 0, connection)) co_return ec;
    r.reused_connection = connection->from_pool;
    r.opening = connection->from_pool ? open_phases{} : connection->opening;
    const exchange_outcome outcome =
        co_await run_http_exchange(*connection, request, sink, config_, deadline);
    r.response_started = outcome.head_delivered;
    r.response_head = outcome.response_head;
    if (!outcome.error) ++connection->requests;
    const bool replay = outcome.error && connection->from_pool && !outcome.response_started && attempt == 0 &&
                        !is_timeout(outcome.error) && is_idempotent_method(request.method);
    pool_.release(std::move(connection), !outcome.error && outcome.reusable);
    if (!replay) co_return outcome.error;
    r.retried = true;
    pool_.note_retry();
  }
}

}  // namespace tsproxy
