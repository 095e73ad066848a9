#include "runtime/proxy_runtime.hpp"

#include <asio/steady_timer.hpp>

#include "runtime/log.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {
// The Runtime API lives on the same host: when it stays unreachable this long, Lambda is gone.
constexpr auto runtime_api_patience = std::chrono::seconds(10);
}  // namespace

proxy_runtime::proxy_runtime(asio::io_context& io, runtime_config config)
    : io_(io), config_(std::move(config)), upstream_(config_.engine), handler_(config_, upstream_) {}

void proxy_runtime::start() {
  for (unsigned i = 0; i < config_.concurrency; ++i) {
    spawn_reported(io_.get_executor(), "invocation loop", invocation_loop(i));
  }
}

void proxy_runtime::stop() { io_.stop(); }

asio::awaitable<void> proxy_runtime::invocation_loop(unsigned index) {
  runtime_api_client api(io_.get_executor(), config_.runtime_api);
  auto state = std::make_unique<loop_state>();
  invocation inv;
  auto failing_since = steady_clock::time_point{};
  std::chrono::milliseconds pause{10};
  for (;;) {
    auto ec = co_await api.next(inv, [&] {
      // The Runtime API took the request: it is reachable again, whether or not an event follows soon.
      failing_since = {};
      pause = std::chrono::milliseconds(10);
      // Prewarming waits until the first `next` is on the wire: it must not delay init.
      if (index == 0 && !prewarm_started_ && !config_.prewarm.empty()) {
        prewarm_started_ = true;
        spawn_reported(io_.get_executor(), "start-up prewarm",
                       handler_.prewarm(steady_clock::now() + config_.engine.timeouts.socks5));
      }
    });
    if (!ec) {
      ec = co_await handler_.handle(inv, api, *state);
      if (ec) log(log_level::error, "could not deliver the response", {{"request_id", inv.request_id}, {"error", ec.message()}});
      state->release_excess(inv);
      continue;
    }
    const auto now = steady_clock::now();
    if (failing_since == steady_clock::time_point{}) failing_since = now;
    // Lambda closes the connection when it shuts the environment down, so one failure is not yet an error.
    log(log_level::warn, "runtime API next failed", {{"loop", std::int64_t{index}}, {"error", ec.message()}});
    if (now - failing_since > runtime_api_patience) {
      log(log_level::error, "runtime API unreachable; exiting");
      std::exit(1);
    }
    asio::steady_timer timer(io_.get_executor(), pause);
    co_await timer.async_wait(use_tuple);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

}  // namespace tsproxy::lambda
