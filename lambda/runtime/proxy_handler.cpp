#include "runtime/proxy_handler.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "adapter/metrics.hpp"
#include "adapter/response_encoding.hpp"
#include "runtime/failure.hpp"
#include "runtime/log.hpp"
#include "runtime/stream_sink.hpp"

namespace tsproxy::lambda {

namespace {

// Lambda's deadline is wall-clock epoch milliseconds; the engine counts on the steady clock.
time_point steady_deadline(std::int64_t deadline_epoch_ms, std::chrono::milliseconds margin,
                           std::chrono::milliseconds fallback) {
  const auto now = steady_clock::now();
  if (deadline_epoch_ms <= 0) return now + fallback;
  const auto epoch_now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  const auto remaining = std::chrono::milliseconds(deadline_epoch_ms) - epoch_now - margin;
  return now + std::max(remaining, std::chrono::milliseconds(0));
}

double elapsed_ms(time_point since) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - since).count();
}

}  // namespace

asio::awaitable<std::error_code> proxy_handler::respond_error(invocation& inv, runtime_api_client& api,
                                                              loop_state& state, int status, std::string_view name,
                                                              std::string_view message) {
  state.payload.clear();
  if (config_.mode == invoke_mode::response_stream) {
    encode_error_stream(status, name, message, state.payload);
    if (auto ec = co_await api.stream_begin(inv.request_id, state.payload)) co_return ec;
    co_return co_await api.stream_end();
  }
  encode_error_response(status, name, message, state.payload);
  co_return co_await api.post_response(inv.request_id, state.payload);
}

void proxy_handler::emit_metric(const routed_request& route, bool success, double latency_ms) const {
  if (route.metric_service.empty()) return;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string line = emf_line(config_.metrics_namespace, route.metric_service, route.metric_dimension_name,
                              route.metric_dimension_value, success, latency_ms, now_ms);
  line += '\n';
  [[maybe_unused]] const auto written = ::write(STDOUT_FILENO, line.data(), line.size());
}

asio::awaitable<std::error_code> proxy_handler::handle(invocation& inv, runtime_api_client& api, loop_state& state) {
  const auto started = steady_clock::now();
  if (!inv.trace_id.empty()) ::setenv("_X_AMZN_TRACE_ID", inv.trace_id.c_str(), 1);

  if (auto ec = state.events.parse_padded(inv.event, inv.event.capacity(), state.request)) {
    log(log_level::warn, "invalid event", {{"request_id", inv.request_id}, {"error", event_error_name(ec)}});
    co_return co_await respond_error(inv, api, state, 400, event_error_name(ec),
                                     "the invocation is not a Function URL event (payload format 2.0)");
  }
  if (state.request.is_warmer) {
    co_await prewarm();
    co_return co_await api.post_response(inv.request_id, encode_warmer_response());
  }

  routed_request route;
  const allow_list* allowed = config_.allowed_targets ? &*config_.allowed_targets : nullptr;
  if (auto refusal = route_request(state.request, allowed, route)) {
    log(log_level::info, "request refused",
        {{"request_id", inv.request_id}, {"status", std::int64_t{refusal->status}}, {"error", refusal->name}});
    co_return co_await respond_error(inv, api, state, refusal->status, refusal->name, refusal->message);
  }

  const http_request request{state.request.method, std::move(route.request_target), std::move(route.headers),
                             state.request.body};
  const auto deadline = steady_deadline(inv.deadline_epoch_ms, config_.deadline_margin, config_.engine.timeouts.request);
  exchange_report report;
  std::error_code failure;
  int status = 0;
  std::uint64_t body_bytes = 0;

  if (config_.mode == invoke_mode::response_stream) {
    stream_sink sink(api, inv.request_id);
    failure = co_await upstream_.exchange(route.target, request, sink, deadline, &report);
    status = sink.status();
    body_bytes = sink.body_bytes();
    if (failure && sink.api_failed()) co_return failure;
    if (failure && sink.started()) {
      const auto f = describe_failure(failure, false);
      log(log_level::warn, "stream failed after the first byte",
          {{"request_id", inv.request_id}, {"target", route.target.describe()}, {"error", f.name}});
      emit_metric(route, false, elapsed_ms(started));
      co_return co_await api.stream_fail(f.name, f.message);
    }
  } else {
    buffered_response sink(config_.max_response_bytes);
    failure = co_await upstream_.exchange(route.target, request, sink, deadline, &report);
    if (!failure) {
      status = sink.head.status;
      body_bytes = sink.body.size();
      state.payload.clear();
      if (!encode_buffered_response(sink.head, sink.body, config_.max_response_bytes, state.payload)) {
        failure = engine_error::sink_rejected;
      } else if (auto ec = co_await api.post_response(inv.request_id, state.payload)) {
        co_return ec;
      }
    }
  }

  const double latency = elapsed_ms(started);
  if (failure) {
    const auto f = describe_failure(failure, config_.mode == invoke_mode::buffered);
    log(log_level::warn, "upstream failed",
        {{"request_id", inv.request_id}, {"target", route.target.describe()}, {"status", std::int64_t{f.status}},
         {"error", f.name}, {"detail", f.message}, {"ms", latency}});
    // Reaching the target and getting an oversized answer still counts as reaching it.
    emit_metric(route, failure == engine_error::sink_rejected, latency);
    co_return co_await respond_error(inv, api, state, f.status, f.name, f.message);
  }
  emit_metric(route, true, latency);
  if (log_enabled(log_level::debug)) {
    log(log_level::debug, "proxied",
        {{"request_id", inv.request_id}, {"method", state.request.method}, {"target", route.target.describe()},
         {"status", std::int64_t{status}}, {"bytes", static_cast<std::int64_t>(body_bytes)},
         {"reused", report.reused_connection}, {"retried", report.retried}, {"ms", latency}});
  }
  co_return std::error_code{};
}

asio::awaitable<void> proxy_handler::prewarm() {
  const auto deadline = steady_clock::now() + config_.engine.timeouts.socks5;
  for (const auto& target : config_.prewarm) {
    const auto idle = co_await upstream_.prewarm(target, config_.prewarm_connections, deadline);
    log(log_level::debug, "prewarmed", {{"target", target.describe()}, {"idle", static_cast<std::int64_t>(idle)}});
  }
}

}  // namespace tsproxy::lambda
