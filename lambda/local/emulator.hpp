#pragma once
// tsproxy-local's life cycle: binds the Function URL listener and the Runtime API port, starts the
// extensions (waiting for them to register, like Lambda) and then the bootstrap, prints the ready
// line, and on SIGINT/SIGTERM sends SHUTDOWN to extensions, SIGTERM to the runtime, waits the grace
// period and kills what is left.

#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <string_view>

#include "common/event_signal.hpp"
#include "common/process_supervisor.hpp"
#include "extensions_api.hpp"
#include "function_identity.hpp"
#include "function_url_listener.hpp"
#include "ids.hpp"
#include "init_tracker.hpp"
#include "invocation_queue.hpp"
#include "invoke_stats.hpp"
#include "local_options.hpp"
#include "runtime_api_server.hpp"

namespace tsproxy::local {

class emulator {
 public:
  emulator(asio::io_context& io, local_options options);

  // Serves until SIGINT/SIGTERM (returns 0) or an init error under --exit-on-init-error (returns 1,
  // after the waiting callers were answered). Start-up failures return 1 at once.
  asio::awaitable<int> run();

 private:
  asio::awaitable<bool> start_extensions(const std::vector<std::string>& env);
  asio::awaitable<void> watch_signals();
  asio::awaitable<void> bound_init();
  asio::awaitable<void> exit_after_init_error();
  asio::awaitable<void> shutdown();
  asio::awaitable<void> sleep_for(std::chrono::milliseconds duration);
  void request_stop(int exit_code);
  void on_child_exit(const lambda::child_info& child);
  // The uid the runtime and extensions run as.
  std::int64_t children_uid() const;
  void on_init_error(std::string_view error_type, std::string_view body);

  asio::io_context& io_;
  local_options options_;
  id_generator ids_;
  function_identity function_;
  invoke_stats stats_;
  invocation_queue queue_;
  init_tracker init_;
  extensions_api extensions_;
  lambda::process_supervisor supervisor_;
  runtime_api_server runtime_server_;
  function_url_listener url_listener_;
  asio::signal_set signals_;
  lambda::event_signal stop_signal_;
  bool stop_requested_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;
  pid_t runtime_pid_ = -1;
};

}  // namespace tsproxy::local
