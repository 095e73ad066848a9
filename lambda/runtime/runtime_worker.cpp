#include "runtime/runtime_worker.hpp"

#include <asio/post.hpp>

#include "common/log.hpp"
#include "runtime/dialled_address_policy.hpp"
#include "runtime/start_timeline.hpp"
#include "runtime/tailscale_status.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {
// A `next` on the wire at least this long before failing was held by a live Runtime API.
constexpr auto held_next = std::chrono::seconds(1);
}  // namespace

runtime_worker::runtime_worker(runtime_config config, unsigned first_loop, runtime_liveness& liveness,
                               std::shared_ptr<listener_readiness> readiness, std::function<void()> give_up)
    : config_(std::move(config)),
      first_loop_(first_loop),
      liveness_(liveness),
      give_up_(std::move(give_up)),
      upstream_(config_.engine),
      handler_(config_, upstream_) {
  upstream_.share_listener_readiness(std::move(readiness));
  upstream_.set_dial_policy(std::make_shared<dialled_address_policy>(
      config_.tailscale_socket, config_.allowed_targets ? &*config_.allowed_targets : nullptr,
      dns_settings{}));
  if (!config_.tailscale_socket.empty()) {
    upstream_.set_listener_probe([this](time_point until) {
      return tailscale_backend_state(io_.get_executor(), config_.tailscale_socket, until);
    });
  }
}

void runtime_worker::start(bool prewarm) {
  for (unsigned i = 0; i < config_.concurrency; ++i) {
    spawn_reported(io_.get_executor(), "invocation loop",
                   invocation_loop(first_loop_ + i, prewarm && i == 0));
  }
}

void runtime_worker::stop(std::chrono::milliseconds grace) {
  asio::post(io_, [this, grace] {
    stopping_ = true;
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([this](const std::error_code& ec) {
      if (!ec) io_.stop();
    });
    stop_if_idle();
  });
}

void runtime_worker::stop_if_idle() {
  if (stopping_ && in_flight_ == 0) io_.stop();
}

asio::awaitable<void> runtime_worker::invocation_loop(unsigned index, bool prewarm) {
  runtime_api_client api(io_.get_executor(), config_.runtime_api);
  auto state = std::make_unique<loop_state>();
  invocation inv;
  std::chrono::milliseconds pause{10};
  while (!stopping_) {
    std::optional<time_point> sent_at;
    auto ec = co_await api.next(inv, [&] {
      sent_at = steady_clock::now();
      if (index == 0) stamp_start(start_phase::first_next_sent);  // loop 0 runs on the main thread
      if (prewarm && !config_.prewarm.empty()) {
        prewarm = false;
        spawn_reported(io_.get_executor(), "start-up prewarm",
                       handler_.prewarm(steady_clock::now() + config_.engine.timeouts.socks5));
      }
    });
    if (!ec) {
      liveness_.reached();
      pause = std::chrono::milliseconds(10);
      ++in_flight_;
      liveness_.invocation_started();
      ec = co_await handler_.handle(inv, api, *state);
      liveness_.invocation_finished();
      --in_flight_;
      if (ec)
        log(log_level::error, "could not deliver the response",
            {{"request_id", inv.request_id}, {"error", ec.message()}});
      state->release_excess(inv);
      stop_if_idle();
      continue;
    }
    // A long poll that Lambda held before dropping it shows the API was there until now.
    const bool was_held = sent_at && steady_clock::now() - *sent_at >= held_next;
    if (was_held) pause = std::chrono::milliseconds(10);
    // Lambda closes the connection when it shuts the environment down, so one failure is not yet an error.
    log(log_level::warn, "runtime API next failed", {{"loop", std::int64_t{index}}, {"error", ec.message()}});
    if (liveness_.failed(was_held)) {
      log(log_level::error, "runtime API unreachable; exiting");
      give_up_();
      co_return;
    }
    asio::steady_timer timer(io_.get_executor(), pause);
    co_await timer.async_wait(use_tuple);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace tsproxy::lambda
