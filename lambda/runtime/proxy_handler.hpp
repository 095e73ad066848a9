#pragma once
// Serves one invocation: Function URL event in, upstream exchange through the warm pool, Lambda
// response out — buffered (one payload) or streamed (prelude, then the body as it arrives). Every
// failure becomes a response with ts-error-* headers or, after streaming began, an error in the
// stream's trailers; only a broken Runtime API connection is returned to the loop.

#include <asio/awaitable.hpp>
#include <system_error>

#include "adapter/function_url_event.hpp"
#include "adapter/routing.hpp"
#include "runtime/runtime_api_client.hpp"
#include "runtime/runtime_config.hpp"
#include "tsproxy/engine/upstream_client.hpp"

namespace tsproxy::lambda {

// What an invocation loop keeps between invocations, so steady-state requests allocate little.
// After each invocation, buffers that grew past `kept_capacity` are released and the heap's free pages
// returned: one burst of large requests must not pin its memory for the life of the environment.
struct loop_state {
  // Enough for the events and responses of everyday requests; at concurrency 64 at most a few MiB.
  static constexpr std::size_t kept_capacity = 128 * 1024;

  event_parser events;
  function_url_request request;
  std::string payload;  // the encoded response

  void release_excess(invocation& inv);
};

class proxy_handler {
 public:
  proxy_handler(const runtime_config& config, upstream_client& upstream)
      : config_(config), upstream_(upstream) {}

  asio::awaitable<std::error_code> handle(invocation& inv, runtime_api_client& api, loop_state& state);

  // Opens the configured prewarm connections, each attempt ending by `until` (start-up: the SOCKS5
  // timeout; a warmer invocation: that invocation's own deadline).
  asio::awaitable<void> prewarm(time_point until);
  // A warmer invocation is answered no sooner than `until` (its start plus TSPROXY_WARMER_HOLD_MS, bounded).
  asio::awaitable<void> hold_warmer(time_point until);

 private:
  // One invocation in flight: where to answer, and by when.
  struct call {
    invocation& inv;
    runtime_api_client& api;
    loop_state& state;
    time_point started;
    time_point upstream_deadline;  // the target must have answered by then (Lambda's minus the margin)
    time_point lambda_deadline;    // Lambda's own: the answer must be posted by then
  };

  asio::awaitable<std::error_code> proxy_buffered(call& c, const routed_request& route,
                                                  const http_request& request);
  asio::awaitable<std::error_code> proxy_streamed(call& c, const routed_request& route,
                                                  const http_request& request);
  // ts-diagnose: true: a diagnosis of the target instead of its answer, for a caller allowed to ask.
  asio::awaitable<std::error_code> diagnose(call& c, const routed_request& route);
  // Logs the failure, emits the metric and answers with the proxy's own error response.
  asio::awaitable<std::error_code> answer_failure(call& c, const routed_request& route,
                                                  std::error_code failure);
  asio::awaitable<std::error_code> respond_error(call& c, int status, std::string_view name,
                                                 std::string_view message);
  // One EMF line when the caller asked for metrics; `report` gives the phases (TSPROXY_METRICS_PHASES).
  void emit_metric(const routed_request& route, bool success, double latency_ms,
                   const exchange_report* report = nullptr) const;
  void log_proxied(const call& c, const routed_request& route, int status, std::uint64_t body_bytes,
                   const exchange_report& report) const;

  const runtime_config& config_;
  upstream_client& upstream_;
};

}  // namespace tsproxy::lambda
