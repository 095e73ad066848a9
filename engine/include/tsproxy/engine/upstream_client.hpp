#pragma once
// The engine's front door: send one HTTP/1.1 request to an upstream through the SOCKS5 listener
// and stream its response into a sink, over a warm pooled connection when one is available.
//
// A request that fails on a reused connection before any response byte arrived is replayed once
// on a fresh connection when its method is idempotent: the server may have closed the idle
// connection just as it was reused. Every wait is bounded by `deadline` and the phase timeouts.

#include <asio/awaitable.hpp>
#include <system_error>

#include "tsproxy/engine/connection_pool.hpp"
#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/open_phases.hpp"
#include "tsproxy/engine/response_sink.hpp"
#include "tsproxy/engine/tls_client_context.hpp"
#include "tsproxy/engine/upstream_connector.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

// What happened in one exchange, for metrics and logs.
struct exchange_report {
  bool reused_connection = false;
  bool retried = false;
  bool response_started = false;  // the sink saw the head (so the caller cannot answer anew)
  // Where the time went, for the attempt that answered: opening its connection (zero when it came from
  // the pool), then from sending the request until the response head was read.
  open_phases opening;
  steady_clock::duration response_head{};
};

class upstream_client {
 public:
  // `clock`: what the pool ages its connections by (tests pass one they move).
  explicit upstream_client(
      engine_config config, pool_clock clock = [] { return steady_clock::now(); });

  asio::awaitable<std::error_code> exchange(const upstream_target& target, const http_request& request,
                                            response_sink& sink, time_point deadline,
                                            exchange_report* report = nullptr);

  asio::awaitable<std::size_t> prewarm(const upstream_target& target, std::size_t count,
                                       time_point deadline) {
    return pool_.prewarm(target, count, deadline);
  }

  // How a SOCKS5 0x01 answer is told apart: "not ready yet" or "target unreachable" (upstream_connector.hpp).
  void set_listener_probe(listener_probe probe) { connector_.set_listener_probe(std::move(probe)); }
  // What is dialled for a target named by DNS name, and what the listener's answer may say
  // (upstream_connector.hpp).
  void set_dial_policy(std::shared_ptr<const dial_policy> policy) {
    connector_.set_dial_policy(std::move(policy));
  }
  void share_listener_readiness(std::shared_ptr<listener_readiness> shared) {
    connector_.share_readiness(std::move(shared));
  }

  const engine_config& config() const noexcept { return config_; }
  pool_stats stats() const;
  connection_pool& pool() noexcept { return pool_; }
  tls_client_context& tls() noexcept { return tls_; }

 private:
  engine_config config_;
  tls_client_context tls_;
  upstream_connector connector_;
  connection_pool pool_;
};

}  // namespace tsproxy
