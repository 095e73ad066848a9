#pragma once
// One Lambda execution environment: its extensions and its bootstrap (each leading its own process
// group), its own Runtime API and Extensions API on its own port, its own init and its own log stream.
// It takes up to `max_concurrency` invocations at once (1: Lambda's classic model; more: Lambda Managed
// Instances). Its life follows Lambda's: Init (extensions register, then the runtime starts; init ends
// when all of them made their first `next`), Invoke, Shutdown (SHUTDOWN to its extensions, SIGTERM to
// its runtime, SIGKILL after the grace) —
// https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle

#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/process_supervisor.hpp"
#include "environment_freezer.hpp"
#include "extensions_api.hpp"
#include "function_identity.hpp"
#include "ids.hpp"
#include "init_tracker.hpp"
#include "invocation_queue.hpp"
#include "local_options.hpp"
#include "runtime_api_server.hpp"

namespace tsproxy::local {

class execution_environment {
 public:
  enum class state { initializing, ready, retiring, gone };

  struct hooks {
    std::function<void()> changed;               // its load, its state or its init changed
    std::function<void(double ms)> initialized;  // its init completed after `ms`
    // An init error of its runtime or of one of its extensions (already logged).
    std::function<void(std::string_view error_type, std::string_view body)> init_error;
    runtime_api_server::stats_provider stats_json;  // GET /local/stats
  };

  execution_environment(asio::io_context& io, const local_options& options, const function_identity& function,
                        id_generator& ids, lambda::process_supervisor& supervisor, int id, hooks on);

  // Listens on 127.0.0.1:runtime_port (0: ephemeral), starts the extensions, waits for them to register
  // (or the init bound) and starts the bootstrap. False (logged) when a port or a program fails; the
  // environment is then `gone`.
  asio::awaitable<bool> start(std::uint16_t runtime_port);

  // Hands it an invocation (the caller checked has_room()); it runs once init is complete.
  void assign(std::shared_ptr<invocation> inv);
  // The caller gave up on it (timeout): it leaves this environment's queue or frees its slot.
  void withdraw(const invocation& inv);
  // Spins it down: whatever it holds fails with `failure`, SHUTDOWN(reason) goes to its extensions and
  // SIGTERM to its runtime; after the grace SIGKILL ends what is left. Returns once its processes are gone:
  // true if they all exited within the grace.
  asio::awaitable<bool> retire(std::string_view reason, invocation_failure failure);
  // Whether `child` is one of its processes (its exit is then handled here).
  bool on_child_exit(const lambda::child_info& child);

  int id() const noexcept { return id_; }
  state current_state() const noexcept { return state_; }
  std::string_view state_name() const noexcept;
  bool failed() const noexcept { return queue_.failure().has_value(); }
  // Invocations assigned and not finished.
  std::size_t load() const noexcept { return queue_.queued() + queue_.in_flight(); }
  bool has_room() const noexcept;
  bool idle() const noexcept { return state_ == state::ready && load() == 0 && !failed(); }
  std::chrono::steady_clock::time_point last_used() const noexcept { return last_used_; }
  std::uint64_t invocations() const noexcept { return invocations_; }
  std::optional<double> init_duration_ms() const noexcept { return init_duration_ms_; }
  bool frozen() const noexcept { return freezer_.frozen(); }
  std::uint64_t freezes() const noexcept { return freezes_; }
  const std::string& runtime_api() const noexcept { return runtime_api_; }
  const std::string& log_stream() const noexcept { return log_stream_; }
  const invocation_queue& queue() const noexcept { return queue_; }
  // Nothing refers to it any more (its processes and its server's coroutines are gone): it may be destroyed.
  bool drained() const noexcept {
    return state_ == state::gone && live_tasks_ == 0 && server_.live_coroutines() == 0;
  }

 private:
  asio::awaitable<bool> start_extensions(const std::vector<std::string>& env);
  asio::awaitable<void> bound_init();
  void on_init_error(std::string_view error_type, std::string_view body);
  void on_init_complete(double ms);
  std::int64_t children_uid() const;
  lambda::spawn_options child_options() const;
  // Freezes it once its runtime and every extension wait at `next` with nothing for them, checked after
  // the current operation (posted).
  void schedule_freeze_check();
  void freeze_if_quiet();
  bool processes_exited() const;

  asio::io_context& io_;
  const local_options& options_;
  const function_identity& function_;
  id_generator& ids_;
  lambda::process_supervisor& supervisor_;
  int id_;
  hooks hooks_;
  invocation_queue queue_;
  init_tracker init_;
  extensions_api extensions_;
  runtime_api_server server_;
  state state_ = state::initializing;
  std::string runtime_api_;
  std::string log_stream_;
  pid_t runtime_pid_ = -1;
  std::set<pid_t> running_pids_;  // its processes that have not exited
  std::chrono::steady_clock::time_point last_used_;
  std::uint64_t invocations_ = 0;
  std::optional<double> init_duration_ms_;
  lambda::event_signal exited_;  // one of its processes exited
  environment_freezer freezer_;
  std::uint64_t freezes_ = 0;
  bool freeze_check_posted_ = false;
  std::size_t live_tasks_ = 0;  // its own coroutines (start, bound_init) and posted checks still pending
};

}  // namespace tsproxy::local
