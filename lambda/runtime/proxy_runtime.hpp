#pragma once
// The runtime: N invocation loops (AWS_LAMBDA_MAX_CONCURRENCY, else one) as coroutines on one
// io_context, sharing one upstream client and so one warm pool. Each loop owns its Runtime API
// connection and its event buffers.
//
// When the Runtime API cannot be reached, Lambda is gone and the process exits — but only once it has
// been unreachable for runtime_api_patience without a break, and no invocation is still in flight on
// another loop. A break is an answer, or a `next` that stayed on the wire for a while before it failed
// (a long poll that Lambda held, then dropped): so short blips, however far apart, never add up.

#include <asio/io_context.hpp>
#include <optional>

#include "runtime/proxy_handler.hpp"
#include "runtime/runtime_config.hpp"
#include "tsproxy/engine/upstream_client.hpp"

namespace tsproxy::lambda {

class proxy_runtime {
 public:
  proxy_runtime(asio::io_context& io, runtime_config config);

  // Starts the loops; the first `next` request goes out before anything else is done
  // (prewarming starts once it is on the wire).
  void start();

  // Stops taking invocations (SIGTERM).
  void stop();

 private:
  asio::awaitable<void> invocation_loop(unsigned index);
  // Records a failed `next`; `was_held`: it had been on the wire a while (the API was there until now).
  // True when the process should give up.
  bool runtime_api_failed(unsigned loop, std::error_code ec, bool was_held);

  asio::io_context& io_;
  runtime_config config_;
  upstream_client upstream_;
  proxy_handler handler_;
  bool prewarm_started_ = false;
  std::optional<time_point> unreachable_since_;  // no loop has reached the Runtime API since then
  unsigned in_flight_ = 0;                       // invocations being served
};

}  // namespace tsproxy::lambda
