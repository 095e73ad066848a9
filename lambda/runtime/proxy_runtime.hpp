#pragma once
// The runtime: N invocation loops (AWS_LAMBDA_MAX_CONCURRENCY, else one) as coroutines on one
// io_context, sharing one upstream client and so one warm pool. Each loop owns its Runtime API
// connection and its event buffers.

#include <asio/io_context.hpp>

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

  asio::io_context& io_;
  runtime_config config_;
  upstream_client upstream_;
  proxy_handler handler_;
  bool prewarm_started_ = false;
};

}  // namespace tsproxy::lambda
