#pragma once
// One request/response round trip on one connection (internal to the engine).

#include <asio/awaitable.hpp>
#include <system_error>

#include "tsproxy/engine/connection_pool.hpp"
#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/response_sink.hpp"

namespace tsproxy {

struct exchange_outcome {
  std::error_code error;
  bool response_started = false;  // a response byte arrived (so a replay is no longer safe)
  bool head_delivered = false;    // the sink saw the head
  bool reusable = false;          // the connection may carry another request
  // From the start of sending the request until its response head was read (zero when none was).
  steady_clock::duration response_head{};
};

asio::awaitable<exchange_outcome> run_http_exchange(pooled_connection& connection,
                                                    const http_request& request, response_sink& sink,
                                                    const engine_config& config, time_point deadline);

}  // namespace tsproxy
