#pragma once
// Serves one invocation: Function URL event in, upstream exchange through the warm pool, Lambda
// response out (buffered or streamed). Every failure becomes a response with ts-error-* headers
// or, after streaming began, an error in the stream's trailers; only a broken Runtime API
// connection is returned to the loop.

#include <asio/awaitable.hpp>
#include <system_error>

#include "adapter/function_url_event.hpp"
#include "adapter/routing.hpp"
#include "runtime/runtime_api_client.hpp"
#include "runtime/runtime_config.hpp"
#include "tsproxy/engine/upstream_client.hpp"

namespace tsproxy::lambda {

// What an invocation loop keeps between invocations, so steady-state requests allocate little.
struct loop_state {
  event_parser events;
  function_url_request request;
  std::string payload;  // the encoded response
};

class proxy_handler {
 public:
  proxy_handler(const runtime_config& config, upstream_client& upstream) : config_(config), upstream_(upstream) {}

  asio::awaitable<std::error_code> handle(invocation& inv, runtime_api_client& api, loop_state& state);

  // Opens the configured prewarm connections (start-up and warmer invocations).
  asio::awaitable<void> prewarm();

 private:
  asio::awaitable<std::error_code> respond_error(invocation& inv, runtime_api_client& api, loop_state& state,
                                                 int status, std::string_view name, std::string_view message);
  void emit_metric(const routed_request& route, bool success, double latency_ms) const;

  const runtime_config& config_;
  upstream_client& upstream_;
};

}  // namespace tsproxy::lambda
