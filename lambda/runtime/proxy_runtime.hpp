#pragma once
// The runtime: AWS_LAMBDA_MAX_CONCURRENCY invocation loops (else one) spread over TSPROXY_THREADS
// event-loop threads (default: one per CPU, never more than the loops), shared-nothing: each thread is a
// runtime_worker with its own io_context, loops and warm pool; only what is learnt about the process's
// environment is shared (Lambda gone, the SOCKS5 listener up). Standard Lambda (concurrency 1) runs one
// worker on the main thread, as a single-threaded process.

#include <atomic>
#include <memory>
#include <vector>

#include "runtime/runtime_config.hpp"
#include "runtime/runtime_liveness.hpp"
#include "runtime/runtime_worker.hpp"

namespace tsproxy::lambda {

class proxy_runtime {
 public:
  explicit proxy_runtime(runtime_config config);

  // The first worker's io_context, run by the calling thread: signals are waited for there.
  asio::io_context& main_io() noexcept { return workers_.front()->io(); }

  // Runs every worker (the first on the calling thread) until all have stopped; the exit status: 0 after
  // stop(), 1 when Lambda is gone.
  int run();

  // Thread-safe (SIGTERM). Stops taking invocations; those in flight get TSPROXY_SHUTDOWN_GRACE_MS to
  // finish, and the process exits as soon as they have.
  void stop();

 private:
  void give_up();

  runtime_config config_;
  runtime_liveness liveness_;
  std::shared_ptr<listener_readiness> listener_readiness_ = std::make_shared<listener_readiness>();
  std::vector<std::unique_ptr<runtime_worker>> workers_;
  std::atomic<int> exit_status_{0};
};

}  // namespace tsproxy::lambda
