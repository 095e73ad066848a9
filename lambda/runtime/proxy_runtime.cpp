#include "runtime/proxy_runtime.hpp"

#include <asio/steady_timer.hpp>

#include "runtime/log.hpp"
#include "runtime/tailscale_status.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {
// The Runtime API lives on the same host: when it stays unreachable this long, Lambda is gone.
constexpr auto runtime_api_patience = std::chrono::seconds(10);
// A `next` on the wire at least this long before failing was held by a live Runtime API.
constexpr auto held_next = std::chrono::seconds(1);
}  // namespace

proxy_runtime::proxy_runtime(asio::io_context& io, runtime_config config)
    : io_(io), config_(std::move(config)), upstream_(config_.engine), handler_(config_, upstream_) {
  if (!config_.tailscale_socket.empty()) {
    upstream_.set_listener_probe([this](time_point until) {
      return tailscale_backend_state(io_.get_executor(), config_.tailscale_socket, until);
    });
  }
}

void proxy_runtime::start() {
  for (unsigned i = 0; i < config_.concurrency; ++i) {
    spawn_reported(io_.get_executor(), "invocation loop", invocation_loop(i));
  }
}

void proxy_runtime::stop() {
  io_.stop();
}

bool proxy_runtime::runtime_api_failed(unsigned loop, std::error_code ec, bool was_held) {
  const auto now = steady_clock::now();
  if (!unreachable_since_ || was_held) unreachable_since_ = now;
  // Lambda closes the connection when it shuts the environment down, so one failure is not yet an error.
  log(log_level::warn, "runtime API next failed", {{"loop", std::int64_t{loop}}, {"error", ec.message()}});
  return now - *unreachable_since_ > runtime_api_patience && in_flight_ == 0;
}

asio::awaitable<void> proxy_runtime::invocation_loop(unsigned index) {
  runtime_api_client api(io_.get_executor(), config_.runtime_api);
  auto state = std::make_unique<loop_state>();
  invocation inv;
  std::chrono::milliseconds pause{10};
  for (;;) {
    std::optional<time_point> sent_at;
    auto ec = co_await api.next(inv, [&] {
      sent_at = steady_clock::now();
      // Prewarming waits until the first `next` is on the wire: it must not delay init.
      if (index == 0 && !prewarm_started_ && !config_.prewarm.empty()) {
        prewarm_started_ = true;
        spawn_reported(io_.get_executor(), "start-up prewarm",
                       handler_.prewarm(steady_clock::now() + config_.engine.timeouts.socks5));
      }
    });
    if (!ec) {
      unreachable_since_.reset();
      pause = std::chrono::milliseconds(10);
      ++in_flight_;
      ec = co_await handler_.handle(inv, api, *state);
      --in_flight_;
      if (ec)
        log(log_level::error, "could not deliver the response",
            {{"request_id", inv.request_id}, {"error", ec.message()}});
      state->release_excess(inv);
      continue;
    }
    // A long poll that Lambda held before dropping it shows the API was there until now.
    const bool was_held = sent_at && steady_clock::now() - *sent_at >= held_next;
    if (was_held) pause = std::chrono::milliseconds(10);
    if (runtime_api_failed(index, ec, was_held)) {
      log(log_level::error, "runtime API unreachable; exiting");
      std::exit(1);
    }
    asio::steady_timer timer(io_.get_executor(), pause);
    co_await timer.async_wait(use_tuple);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace tsproxy::lambda
