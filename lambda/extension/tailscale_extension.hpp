#pragma once
// The extension's life (docs/PROTOCOLS.md section 4): register at once, so Lambda starts the runtime's
// init in parallel; bring Tailscale up (tailscale_bringup); call event/next once it is up, so that init
// ends exactly when the proxy can reach the tailnet; then wait for events. With
// TSPROXY_TAILSCALE_WAIT_READY=false the first event/next comes as soon as tailscaled's LocalAPI answers
// (its SOCKS5 listener is open by then: tailscale_bringup.hpp), and the login goes on while the proxy retries
// the listener's 0x01 answers: a connection refused by a listener that is not open yet is final for the
// proxy, a 0x01 is not. A failure before the first next is posted to init/error with its type, one after it
// to exit/error; either way the node is logged out, tailscaled stopped, and the process exits with 1. On
// SHUTDOWN, within the event's deadline: `tailscale logout` (an ephemeral node is removed at once), SIGTERM
// to tailscaled, SIGKILL if it is still there, exit 0.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "extension/child_set.hpp"
#include "extension/extension_config.hpp"
#include "extension/extensions_api_client.hpp"
#include "extension/key_source.hpp"
#include "extension/tailscale_bringup.hpp"
#include "tsproxy/engine/deadline.hpp"

namespace tsproxy::extension {

struct extension_options {
  std::string name;                        // Lambda-Extension-Name: the executable's file name
  asio::ip::tcp::endpoint api;             // AWS_LAMBDA_RUNTIME_API
  std::optional<extension_config> config;  // nullopt: invalid, config_error says why (posted to init/error)
  std::string config_error;
  key_source keys;
  std::vector<std::string> child_env;  // the environment tailscaled and the CLI run with
  time_point started = steady_clock::now();
};

class tailscale_extension {
 public:
  static constexpr std::chrono::milliseconds register_timeout{5000};
  static constexpr std::chrono::milliseconds report_timeout{2000};   // init/error, exit/error
  static constexpr std::chrono::milliseconds failure_cleanup{1500};  // logout and stop after a failure
  static constexpr std::chrono::milliseconds signal_cleanup{1500};   // on SIGTERM/SIGINT
  // SHUTDOWN: tailscaled is killed this long before the event's deadline, which leaves the time to reap
  // it, log and exit (a sanitizer's leak check at exit among it) before Lambda kills what is left; and
  // the whole stop never takes longer than max. Of Lambda's 2,000 ms, 1,600 remain for logout and stop.
  static constexpr std::chrono::milliseconds shutdown_margin{400};
  static constexpr std::chrono::milliseconds min_shutdown{100};
  static constexpr std::chrono::milliseconds max_shutdown{10'000};
  static constexpr std::chrono::milliseconds default_shutdown{2000};  // an event without deadlineMs

  tailscale_extension(asio::io_context& io, extension_options options);

  // Runs until the extension is done; then stops `io`. exit_code() is the process's exit status.
  asio::awaitable<void> run();
  int exit_code() const noexcept { return exit_code_; }

 private:
  asio::awaitable<void> bring_up_in_background(time_point deadline);
  // Until tailscaled's LocalAPI answered, which it does only once its SOCKS5 listener is open; false when
  // the bring-up failed (and reported it) first.
  asio::awaitable<bool> wait_for_listener();
  asio::awaitable<void> event_loop();
  asio::awaitable<void> watch_tailscaled();
  asio::awaitable<void> watch_signals();
  asio::awaitable<void> fail(std::string_view error_type, const std::string& message, bool after_init);
  // Logs out (when logged in and wanted), stops tailscaled and every other child by `deadline`, then
  // ends the process with `code`. Only the first call does anything.
  asio::awaitable<void> stop_and_exit(int code, time_point deadline);
  asio::awaitable<void> stop_tailscale(time_point deadline);
  // Tailscale is up: noted at once, logged once the first event/next is on the wire (a log line waits
  // for stderr, and init's end must not).
  void note_ready();
  void log_ready_once();
  double elapsed_ms() const;

  asio::io_context& io_;
  extension_options options_;
  extensions_api_client api_;
  child_set children_;
  lambda::event_signal bringup_progress_;  // tailscaled answered, Tailscale up, or the bring-up failed
  std::unique_ptr<tailscale_bringup> bringup_;
  asio::signal_set signals_;
  bool next_called_ = false;
  bool ready_ = false;
  bool ready_logged_ = false;
  double ready_ms_ = 0;            // since the extension's start
  double ready_monotonic_ms_ = 0;  // CLOCK_MONOTONIC, to compare with other processes' logs
  bool failed_ = false;            // a failure is being reported (only the first one is)
  bool stopping_ = false;
  int exit_code_ = 1;
};

// The steady-clock time of a SHUTDOWN event's deadline (Unix epoch ms), less the margin, bounded.
time_point shutdown_deadline(std::int64_t deadline_epoch_ms, std::int64_t now_epoch_ms, time_point now);

}  // namespace tsproxy::extension
