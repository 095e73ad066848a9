#pragma once
// One event-loop thread's share of the runtime: its own io_context, its invocation loops (as coroutines),
// and its own upstream client, so its own warm pool. Nothing here is shared with another worker but the
// read-only configuration, the process's runtime_liveness and whether the SOCKS5 listener is known up. Each
// loop owns its Runtime API connection and its event buffers.

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "runtime/proxy_handler.hpp"
#include "runtime/runtime_config.hpp"
#include "runtime/runtime_liveness.hpp"
#include "tsproxy/engine/upstream_client.hpp"

namespace tsproxy::lambda {

class runtime_worker {
 public:
  // `config`: this thread's share (config_for_thread); `first_loop`: the process-wide index of its first
  // loop, for logs. `readiness`: shared by every worker's connector. `give_up` is called (on this
  // worker's thread) when Lambda is gone.
  runtime_worker(runtime_config config, unsigned first_loop, runtime_liveness& liveness,
                 std::shared_ptr<listener_readiness> readiness, std::function<void()> give_up);

  asio::io_context& io() noexcept { return io_; }
  // Starts the loops; `prewarm`: this worker opens the configured prewarm connections once its first
  // `next` is on the wire (so prewarming never delays init).
  void start(bool prewarm);
  // Thread-safe. Stops taking invocations; the io_context stops once the invocations in flight are
  // answered, or after `grace` at the latest.
  void stop(std::chrono::milliseconds grace);
  // Read once the worker's thread has finished.
  pool_stats pool_counters() { return upstream_.pool().stats(); }

 private:
  asio::awaitable<void> invocation_loop(unsigned index, bool prewarm);
  void stop_if_idle();

  asio::io_context io_{1};
  runtime_config config_;
  unsigned first_loop_;
  runtime_liveness& liveness_;
  std::function<void()> give_up_;
  upstream_client upstream_;
  proxy_handler handler_;
  asio::steady_timer grace_timer_{io_};
  unsigned in_flight_ = 0;  // invocations this worker is serving
  bool stopping_ = false;
};

}  // namespace tsproxy::lambda
