#pragma once
// tsproxy-local's life cycle: binds the Function URL listener, starts the first execution environment
// (its extensions, waiting for them to register like Lambda, then its bootstrap), prints the ready line,
// and on SIGINT/SIGTERM spins every environment down (SHUTDOWN to extensions, SIGTERM to the runtime,
// SIGKILL after the grace). The environments themselves are environment_pool's.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <string_view>

#include "common/event_signal.hpp"
#include "common/process_supervisor.hpp"
#include "environment_pool.hpp"
#include "function_identity.hpp"
#include "function_url_listener.hpp"
#include "ids.hpp"
#include "invoke_stats.hpp"
#include "local_options.hpp"

namespace tsproxy::local {

class emulator {
 public:
  emulator(asio::io_context& io, local_options options);

  // Serves until SIGINT/SIGTERM (returns 0) or an init error under --exit-on-init-error (returns 1,
  // after the waiting callers were answered). Start-up failures return 1 at once.
  asio::awaitable<int> run();

 private:
  asio::awaitable<void> watch_signals();
  asio::awaitable<void> exit_after_init_error();
  asio::awaitable<void> shutdown();
  asio::awaitable<void> sleep_for(std::chrono::milliseconds duration);
  void request_stop(int exit_code);
  void on_child_exit(const lambda::child_info& child);
  void on_init_error();

  asio::io_context& io_;
  local_options options_;
  id_generator ids_;
  function_identity function_;
  invoke_stats stats_;
  lambda::process_supervisor supervisor_;
  environment_pool environments_;
  function_url_listener url_listener_;
  asio::signal_set signals_;
  lambda::event_signal stop_signal_;
  bool stop_requested_ = false;
  bool exiting_after_init_error_ = false;
  int exit_code_ = 0;
};

}  // namespace tsproxy::local
