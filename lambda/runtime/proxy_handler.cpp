#include "runtime/proxy_handler.hpp"

#include <malloc.h>
#include <unistd.h>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <chrono>

#include "adapter/metrics.hpp"
#include "adapter/response_encoding.hpp"
#include "adapter/trace_context.hpp"
#include "common/log.hpp"
#include "runtime/buffered_sink.hpp"
#include "runtime/diagnosis_probe.hpp"
#include "runtime/failure.hpp"
#include "runtime/stream_sink.hpp"
#include "tsproxy/engine/use_tuple.hpp"

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

double milliseconds_of(steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double elapsed_ms(time_point since) {
  return milliseconds_of(steady_clock::now() - since);
}

bool release_if_larger(std::string& s, std::size_t keep) {
  if (s.capacity() <= keep) return false;
  std::string().swap(s);
  return true;
}

}  // namespace

void loop_state::release_excess(invocation& inv) {
  bool released = release_if_larger(payload, kept_capacity);
  released = release_if_larger(inv.event, kept_capacity) || released;
  events.release_excess(kept_capacity);
  // What a large invocation allocated on its way below the mmap threshold (bootstrap_main: strings as they
  // grew, the decoded body, the parser's buffers) is free now but stays in the heap, of which glibc returns
  // only the top: after one burst at concurrency 1 that kept 5 MiB resident. Only invocations large enough
  // to release a buffer pay for returning every free page.
  if (released) malloc_trim(0);
}

asio::awaitable<std::error_code> proxy_handler::respond_error(call& c, int status, std::string_view name,
                                                              std::string_view message) {
  auto& payload = c.state.payload;
  payload.clear();
  if (config_.mode == invoke_mode::response_stream) {
    encode_error_stream(status, name, message, payload);
    if (auto ec = co_await c.api.stream_begin(c.inv.request_id, payload, c.lambda_deadline)) co_return ec;
    co_return co_await c.api.stream_end(c.lambda_deadline);
  }
  encode_error_response(status, name, message, payload);
  co_return co_await c.api.post_response(c.inv.request_id, payload, c.lambda_deadline);
}

void proxy_handler::emit_metric(const routed_request& route, bool success, double latency_ms,
                                const exchange_report* report) const {
  if (route.metric_service.empty()) return;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // Phases only for a request that reached its target: a failure's would be zeros where a phase never ran.
  const bool with_phases = config_.metrics_phases && success && report != nullptr;
  const latency_phases phases = with_phases
                                    ? latency_phases{.connect_ms = milliseconds_of(report->opening.connect),
                                                     .socks5_ms = milliseconds_of(report->opening.socks5),
                                                     .tls_ms = milliseconds_of(report->opening.tls),
                                                     .first_byte_ms = milliseconds_of(report->response_head)}
                                    : latency_phases{};
  const std::string line =
      emf_line(config_.metrics_namespace, route.metric_service, route.metric_dimension_name,
               route.metric_dimension_value, success, latency_ms, now_ms, with_phases ? &phases : nullptr);
  [[maybe_unused]] const auto written = ::write(STDOUT_FILENO, line.data(), line.size());
}

void proxy_handler::log_proxied(const call& c, const routed_request& route, int status,
                                std::uint64_t body_bytes, const exchange_report& report) const {
  if (!log_enabled(log_level::debug)) return;
  log(log_level::debug, "proxied",
      {{"request_id", c.inv.request_id},
       {"method", c.state.request.method},
       {"target", route.target.describe()},
       {"status", std::int64_t{status}},
       {"bytes", static_cast<std::int64_t>(body_bytes)},
       {"reused", report.reused_connection},
       {"retried", report.retried},
       {"ms", elapsed_ms(c.started)}});
}

asio::awaitable<std::error_code> proxy_handler::answer_failure(call& c, const routed_request& route,
                                                               std::error_code failure) {
  const double latency = elapsed_ms(c.started);
  auto f = describe_failure(failure, config_.mode == invoke_mode::buffered);
  f.message += " (target " + route.target.describe() + ")";  // the caller may have sent several
  log(log_level::warn, "upstream failed",
      {{"request_id", c.inv.request_id},
       {"target", route.target.describe()},
       {"status", std::int64_t{f.status}},
       {"error", f.name},
       {"detail", f.message},
       {"ms", latency}});
  // Reaching the target and getting an oversized answer still counts as reaching it.
  emit_metric(route, failure == engine_error::sink_rejected, latency);
  co_return co_await respond_error(c, f.status, f.name, f.message);
}

asio::awaitable<std::error_code> proxy_handler::proxy_buffered(call& c, const routed_request& route,
                                                               const http_request& request) {
  exchange_report report;
  buffered_sink sink(c.api, c.inv.request_id, c.lambda_deadline, config_.max_response_bytes,
                     request.method == "HEAD");
  auto failure = co_await upstream_.exchange(route.target, request, sink, c.upstream_deadline, &report);
  if (sink.pipelined()) {
    if (!failure) {
      emit_metric(route, true, elapsed_ms(c.started), &report);
      log_proxied(c, route, sink.status(), sink.body_bytes(), report);
      co_return std::error_code{};
    }
    if (sink.api_failed()) co_return failure;  // nothing can be reported through a broken Runtime API
    // The body is on its way already: the failure becomes the payload's status and headers.
    auto f = describe_failure(failure, true);
    f.message += " (target " + route.target.describe() + ")";
    log(log_level::warn, "upstream failed mid-body",
        {{"request_id", c.inv.request_id}, {"target", route.target.describe()}, {"error", f.name}});
    emit_metric(route, false, elapsed_ms(c.started));
    co_return co_await sink.fail(f.status, f.name, f.message);
  }
  if (!failure) {
    const auto& answer = sink.collected();
    c.state.payload.clear();
    if (!encode_buffered_response(answer.head, answer.body, config_.max_response_bytes, c.state.payload,
                                  sink.head_request()))
      failure = engine_error::sink_rejected;
  }
  if (failure) co_return co_await answer_failure(c, route, failure);
  if (auto ec = co_await c.api.post_response(c.inv.request_id, c.state.payload, c.lambda_deadline))
    co_return ec;
  emit_metric(route, true, elapsed_ms(c.started), &report);
  log_proxied(c, route, sink.status(), sink.body_bytes(), report);
  co_return std::error_code{};
}

asio::awaitable<std::error_code> proxy_handler::proxy_streamed(call& c, const routed_request& route,
                                                               const http_request& request) {
  exchange_report report;
  stream_sink sink(c.api, c.inv.request_id, c.lambda_deadline, request.method == "HEAD");
  const auto failure = co_await upstream_.exchange(route.target, request, sink, c.upstream_deadline, &report);
  if (!failure) {
    emit_metric(route, true, elapsed_ms(c.started), &report);
    log_proxied(c, route, sink.status(), sink.body_bytes(), report);
    co_return std::error_code{};
  }
  if (sink.api_failed()) co_return failure;  // nothing can be reported through a broken Runtime API
  if (!sink.started()) co_return co_await answer_failure(c, route, failure);
  // The status is on its way already: the failure goes into the stream's trailers.
  const auto f = describe_failure(failure, false);
  log(log_level::warn, "stream failed after the first byte",
      {{"request_id", c.inv.request_id}, {"target", route.target.describe()}, {"error", f.name}});
  emit_metric(route, false, elapsed_ms(c.started));
  co_return co_await c.api.stream_fail(f.name, f.message, c.lambda_deadline);
}

// The trace id is not put into _X_AMZN_TRACE_ID: nothing in this process reads it, and glibc's setenv
// keeps every value it was ever given, so a new id per invocation would grow memory without bound.
asio::awaitable<std::error_code> proxy_handler::handle(invocation& inv, runtime_api_client& api,
                                                       loop_state& state) {
  const auto now = steady_clock::now();
  call c{
      inv,
      api,
      state,
      now,
      steady_deadline(inv.deadline_epoch_ms, config_.deadline_margin, config_.engine.timeouts.request),
      steady_deadline(inv.deadline_epoch_ms, std::chrono::milliseconds(0), config_.engine.timeouts.request)};

  if (auto ec = state.events.parse_padded(inv.event, inv.event.capacity(), state.request)) {
    log(log_level::warn, "invalid event", {{"request_id", inv.request_id}, {"error", event_error_name(ec)}});
    co_return co_await respond_error(c, 400, event_error_name(ec),
                                     "the invocation is not a Function URL event (payload format 2.0)");
  }
  if (state.request.is_warmer) {
    // Prewarming happens inside the hold, not on top of it: the round costs the hold, no more.
    const auto hold_until = std::min(c.upstream_deadline, steady_clock::now() + config_.warmer_hold);
    co_await prewarm(c.upstream_deadline);
    co_await hold_warmer(hold_until);
    co_return co_await api.post_response(inv.request_id, encode_warmer_response(), c.lambda_deadline);
  }

  routed_request route;
  const allow_list* allowed = config_.allowed_targets ? &*config_.allowed_targets : nullptr;
  if (auto refusal = route_request(state.request, allowed, route)) {
    log(log_level::info, "request refused",
        {{"request_id", inv.request_id},
         {"status", std::int64_t{refusal->status}},
         {"error", refusal->name}});
    co_return co_await respond_error(c, refusal->status, refusal->name, refusal->message);
  }
  if (config_.callers) {
    if (auto refusal = check_caller(*config_.callers, state.request.caller, route.target)) {
      log(log_level::info, "request refused",
          {{"request_id", inv.request_id},
           {"status", std::int64_t{refusal->status}},
           {"error", refusal->name},
           {"caller", state.request.caller.user_arn}});
      co_return co_await respond_error(c, refusal->status, refusal->name, refusal->message);
    }
  }
  if (route.diagnose) co_return co_await diagnose(c, route);
  if (config_.trace_context) add_trace_context(route, inv.trace_id);
  const http_request request{state.request.method, std::move(route.request_target), std::move(route.headers),
                             state.request.body};
  if (config_.mode == invoke_mode::response_stream) co_return co_await proxy_streamed(c, route, request);
  co_return co_await proxy_buffered(c, route, request);
}

asio::awaitable<std::error_code> proxy_handler::diagnose(call& c, const routed_request& route) {
  const auto& caller = c.state.request.caller;
  if (!config_.diagnose && !(config_.callers && config_.callers->may_diagnose(caller, route.target))) {
    log(log_level::info, "request refused",
        {{"request_id", c.inv.request_id}, {"status", std::int64_t{403}}, {"error", "DiagnoseNotAllowed"}});
    co_return co_await respond_error(
        c, 403, "DiagnoseNotAllowed",
        "diagnosis is off for this caller: TSPROXY_DIAGNOSE=true, or \"diagnose\": true in its "
        "TSPROXY_CALLER_POLICY entry, allows it");
  }
  const auto facts = co_await probe_target(config_, upstream_, route.target, c.upstream_deadline);
  const auto body = diagnosis_json(facts);
  log(log_level::info, "diagnosed",
      {{"request_id", c.inv.request_id}, {"target", route.target.describe()}, {"ms", elapsed_ms(c.started)}});
  response_head head{.status = 200, .reason = "OK"};
  head.headers.push_back({"content-type", "application/json"});
  head.headers.push_back({"ts-diagnose", "true"});
  auto& payload = c.state.payload;
  payload.clear();
  if (config_.mode == invoke_mode::response_stream) {
    encode_stream_prelude(head, payload);
    if (auto ec = co_await c.api.stream_begin(c.inv.request_id, payload, c.lambda_deadline)) co_return ec;
    if (auto ec = co_await c.api.stream_write(body, c.lambda_deadline)) co_return ec;
    co_return co_await c.api.stream_end(c.lambda_deadline);
  }
  // A diagnosis is a few KiB, far below Lambda's payload limit.
  encode_buffered_response(head, body, config_.max_response_bytes, payload);
  co_return co_await c.api.post_response(c.inv.request_id, payload, c.lambda_deadline);
}

asio::awaitable<void> proxy_handler::hold_warmer(time_point until) {
  // Keeps this environment busy for a while, so that the other invocations of the same warmer round find
  // it taken and Lambda gives them other environments (as OpenNext's warmer event carries a `delay`:
  // https://opennext.js.org/aws/inner_workings/components/warmer).
  if (steady_clock::now() >= until) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, until);
  co_await timer.async_wait(use_tuple);
}

asio::awaitable<void> proxy_handler::prewarm(time_point until) {
  for (const auto& target : config_.prewarm) {
    const auto idle = co_await upstream_.prewarm(target, config_.prewarm_connections, until);
    log(log_level::debug, "prewarmed",
        {{"target", target.describe()}, {"idle", static_cast<std::int64_t>(idle)}});
  }
}

}  // namespace tsproxy::lambda
