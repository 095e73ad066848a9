#include "extension/tailscale_extension.hpp"

#include <csignal>
#include <cstdint>

#include "common/log.hpp"
#include "extension/extension_errors.hpp"
#include "extension/tailscale_commands.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::extension {

namespace {

using lambda::log;
using lambda::log_level;
using std::chrono::milliseconds;

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double monotonic_ms() {
  return std::chrono::duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace

time_point shutdown_deadline(std::int64_t deadline_epoch_ms, std::int64_t now_epoch_ms, time_point now) {
  using ext = tailscale_extension;
  if (deadline_epoch_ms <= 0) return now + ext::default_shutdown;
  auto remaining = milliseconds(deadline_epoch_ms - now_epoch_ms) - ext::shutdown_margin;
  remaining = std::clamp(remaining, ext::min_shutdown, ext::max_shutdown);
  return now + remaining;
}

tailscale_extension::tailscale_extension(asio::io_context& io, extension_options options)
    : io_(io),
      options_(std::move(options)),
      api_(io.get_executor(), options_.api),
      children_(io, options_.child_env),
      signals_(io, SIGTERM, SIGINT) {}

double tailscale_extension::elapsed_ms() const {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - options_.started).count();
}

asio::awaitable<void> tailscale_extension::run() {
  spawn_reported(io_.get_executor(), "extension signals", watch_signals());
  if (options_.config) lambda::apply_log_settings(options_.config->logging);  // from the first line on
  // Registering first lets Lambda start the runtime while Tailscale comes up.
  if (const auto ec =
          co_await api_.register_extension(options_.name, steady_clock::now() + register_timeout)) {
    log(log_level::error, "cannot register with the Extensions API",
        {{"error", ec.message()}, {"status", std::int64_t{api_.last_status()}}});
    co_await stop_and_exit(1, steady_clock::now());
    co_return;
  }
  log(log_level::info, "registered", {{"name", options_.name}, {"ms", elapsed_ms()}});
  if (!options_.config) {
    co_await fail(error_types::invalid_configuration, options_.config_error, false);
    co_return;
  }
  const auto& config = *options_.config;
  bringup_ = std::make_unique<tailscale_bringup>(io_, config, children_, options_.keys, options_.started,
                                                 bringup_progress_);
  const auto deadline = options_.started + config.ready_timeout;
  if (!config.wait_ready) {
    spawn_reported(io_.get_executor(), "tailscale bring-up", bring_up_in_background(deadline));
    if (co_await wait_for_listener()) co_await event_loop();
    co_return;
  }
  if (auto failure = co_await bringup_->run(deadline)) {
    co_await fail(failure->error_type, failure->message, false);
    co_return;
  }
  note_ready();
  spawn_reported(io_.get_executor(), "tailscaled watch", watch_tailscaled());
  co_await event_loop();
}

asio::awaitable<void> tailscale_extension::bring_up_in_background(time_point deadline) {
  auto failure = co_await bringup_->run(deadline);
  if (stopping_) co_return;
  if (failure) {
    co_await fail(failure->error_type, failure->message, next_called_);
    co_return;
  }
  note_ready();
  co_await watch_tailscaled();
}

asio::awaitable<bool> tailscale_extension::wait_for_listener() {
  // The bring-up notifies at tailscaled's first LocalAPI answer, note_ready and fail at its end.
  for (;;) {
    if (stopping_ || failed_) co_return false;
    if (ready_ || bringup_->timings().local_api_answered >= 0) {
      log(log_level::info, "tailscaled answered; its SOCKS5 listener is open",
          {{"ms", elapsed_ms()}, {"running", ready_}, {"monotonic_ms", monotonic_ms()}});
      co_return true;
    }
    co_await bringup_progress_.wait();
  }
}

void tailscale_extension::note_ready() {
  ready_ = true;
  ready_ms_ = elapsed_ms();
  ready_monotonic_ms_ = monotonic_ms();
  bringup_progress_.notify_all();
  // Before `next` when init waits for it: once every process waits at `next`, Lambda may freeze the
  // environment, and a line written after that appears only at the next invocation.
  log_ready_once();
}

void tailscale_extension::log_ready_once() {
  if (!ready_ || ready_logged_) return;
  ready_logged_ = true;
  const auto& t = bringup_->timings();
  log(log_level::info, "tailscale is up",
      {{"ms", ready_ms_},
       {"tailscaled_started_ms", t.tailscaled_started},
       {"key_fetched_ms", t.key_fetched},
       {"local_api_ms", t.local_api_answered},
       {"up_started_ms", t.up_started},
       {"up_exited_ms", t.up_exited},
       {"running_ms", t.running},
       {"exit_node_ms", t.exit_node_checked},
       {"monotonic_ms", ready_monotonic_ms_}});
}

asio::awaitable<void> tailscale_extension::event_loop() {
  for (;;) {
    extension_event event;
    if (!next_called_) log(log_level::debug, "waiting for events", {{"ms", elapsed_ms()}});
    // A `next` in flight counts as called: init can end while it waits.
    next_called_ = true;
    if (const auto ec = co_await api_.next(event)) {
      if (stopping_) co_return;
      log(log_level::error, "event/next failed",
          {{"error", ec.message()}, {"status", std::int64_t{api_.last_status()}}});
      co_await stop_and_exit(1, steady_clock::now() + failure_cleanup);
      co_return;
    }
    if (event.type == event_type::invoke) {
      log(log_level::debug, "invoke", {{"request_id", event.request_id}});
      continue;
    }
    log(log_level::info, "shutdown", {{"reason", event.shutdown_reason}});
    co_await stop_and_exit(0,
                           shutdown_deadline(event.deadline_epoch_ms, epoch_ms_now(), steady_clock::now()));
    co_return;
  }
}

asio::awaitable<void> tailscale_extension::watch_tailscaled() {
  const pid_t pid = bringup_->tailscaled_pid();
  while (!stopping_ && !children_.exited(pid)) co_await children_.changed().wait();
  if (stopping_) co_return;
  co_await children_.wait_exit(pid, steady_clock::now() + milliseconds(50));  // its last words
  co_await fail(error_types::tailscaled_exited,
                "tailscaled exited with code " + std::to_string(children_.exit_code(pid)) +
                    " after Tailscale was up: " + children_.output_tail(pid),
                true);
}

asio::awaitable<void> tailscale_extension::watch_signals() {
  auto [ec, signal] = co_await signals_.async_wait(use_tuple);
  if (ec) co_return;
  log(log_level::info, "signal", {{"signal", std::int64_t{signal}}});
  co_await stop_and_exit(0, steady_clock::now() + signal_cleanup);
}

asio::awaitable<void> tailscale_extension::fail(std::string_view error_type, const std::string& message,
                                                bool after_init) {
  if (stopping_ || failed_) co_return;
  failed_ = true;
  bringup_progress_.notify_all();
  log(log_level::error, after_init ? "Tailscale failed" : "Tailscale did not come up",
      {{"error_type", error_type}, {"error", message}, {"ms", elapsed_ms()}});
  const auto until = steady_clock::now() + report_timeout;
  const auto ec = after_init ? co_await api_.post_exit_error(error_type, message, until)
                             : co_await api_.post_init_error(error_type, message, until);
  if (ec) {
    log(log_level::warn, after_init ? "cannot post exit/error" : "cannot post init/error",
        {{"error", ec.message()}, {"status", std::int64_t{api_.last_status()}}});
  }
  co_await stop_and_exit(1, steady_clock::now() + failure_cleanup);
}

asio::awaitable<void> tailscale_extension::stop_and_exit(int code, time_point deadline) {
  if (stopping_) co_return;
  stopping_ = true;
  co_await stop_tailscale(deadline);
  exit_code_ = code;
  std::error_code ignored;
  signals_.cancel(ignored);
  io_.stop();
}

asio::awaitable<void> tailscale_extension::stop_tailscale(time_point deadline) {
  const auto begin = steady_clock::now();
  if (!bringup_) co_return;
  const pid_t tailscaled = bringup_->tailscaled_pid();
  const bool running = tailscaled > 0 && !children_.exited(tailscaled);
  bool logged_out = false;
  if (running && bringup_->logged_in() && options_.config->logout_on_shutdown) {
    // Two thirds of the time for the logout (a round trip to the control server), the rest to stop.
    const auto logout_until = begin + (deadline - begin) * 2 / 3;
    const auto logout =
        co_await children_.run("tailscale logout", logout_command(*options_.config), logout_until);
    logged_out = logout.succeeded();
    if (!logged_out) {
      log(log_level::warn, "logout failed",
          {{"exit_code", std::int64_t{logout.exit_code}},
           {"timed_out", logout.timed_out},
           {"output", logout.output}});
    }
  }
  bool killed = false;
  if (running) {
    children_.signal(tailscaled, SIGTERM);
    killed = !co_await children_.wait_exit(tailscaled, deadline);
  }
  children_.kill_all();
  log(log_level::info, "tailscale stopped",
      {{"logged_out", logged_out},
       {"killed", killed},
       {"ms", std::chrono::duration<double, std::milli>(steady_clock::now() - begin).count()}});
}

}  // namespace tsproxy::extension
