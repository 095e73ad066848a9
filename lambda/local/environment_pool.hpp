#pragma once
// Lambda's scaling between the Function URL and the execution environments. An invocation goes to an
// environment with room (an idle one, the most recently used first; with Managed Instances' concurrency,
// a busy one with a free slot), else a new environment starts for it (a cold start: it waits for that
// init), else, once `max_environments` run, it waits in a bounded FIFO for the first free slot, and
// beyond `max_queued` the caller gets 429 — with `max_queued` 0 at once, as Lambda throttles at its
// concurrency limit (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
// Environments idle for `idle_retire` are spun down (SHUTDOWN reason "spindown"), as Lambda retires
// idle ones; one whose init failed or whose runtime exited is reset (reason "failure").

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/event_signal.hpp"
#include "common/process_supervisor.hpp"
#include "execution_environment.hpp"
#include "invocation.hpp"
#include "invocation_queue.hpp"

namespace tsproxy::local {

class invoke_stats;

class environment_pool {
 public:
  using init_error_handler = std::function<void(std::string_view error_type, std::string_view body)>;

  environment_pool(asio::io_context& io, const local_options& options, const function_identity& function,
                   id_generator& ids, lambda::process_supervisor& supervisor, invoke_stats& stats,
                   init_error_handler on_init_error);

  // Starts the first environment at once (tsproxy-local's start-up, so that a first caller finds it
  // initialising) on `runtime_port`, and the idle reaper. False when it cannot start.
  asio::awaitable<bool> start(std::uint16_t runtime_port);
  // The first environment's Runtime API ("127.0.0.1:R"), for the ready line.
  std::string first_runtime_api() const;

  enum class admission { queued, full, failed };
  // Function URL side. `failed`: failure() says why (shutting down); `full`: answer 429.
  admission submit(std::shared_ptr<invocation> inv);
  // The Function URL side gave up (timeout): the invocation leaves wherever it waits or runs.
  void withdraw(const invocation& inv);
  const std::optional<invocation_failure>& failure() const noexcept { return failure_; }

  // Routes a child's exit to its environment; false if none owns it.
  bool on_child_exit(const lambda::child_info& child);
  // Retires every environment (reason "spindown"), failing what they hold and what waits with `failure`.
  // True if every process exited within its grace.
  asio::awaitable<bool> shutdown(invocation_failure failure);

  // GET /local/stats: the counters, the queue, and one object per environment.
  std::string stats_json() const;

 private:
  execution_environment* create_environment();
  asio::awaitable<void> initialize(execution_environment& env);
  execution_environment* with_room();
  std::size_t live_environments() const;
  void dispatch();
  void schedule_dispatch();
  asio::awaitable<void> reap_idle();
  asio::awaitable<void> retire(execution_environment& env, std::string_view reason);
  void release_drained();

  asio::io_context& io_;
  const local_options& options_;
  const function_identity& function_;
  id_generator& ids_;
  lambda::process_supervisor& supervisor_;
  invoke_stats& stats_;
  init_error_handler on_init_error_;
  std::vector<std::unique_ptr<execution_environment>> environments_;
  std::deque<std::shared_ptr<invocation>> waiting_;  // no environment had room yet
  std::optional<invocation_failure> failure_;
  int next_id_ = 1;
  bool dispatch_scheduled_ = false;
  bool stopping_ = false;
  lambda::event_signal changed_;  // an environment's load or state changed
};

}  // namespace tsproxy::local
