#pragma once
// The runtime's configuration: the engine's knobs plus what Lambda and the caller contract add,
// parsed once at start-up from the environment. A bad value is an init error naming the variable.

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapter/routing.hpp"
#include "runtime/log.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

enum class invoke_mode { buffered, response_stream };

struct runtime_config {
  engine_config engine;
  asio::ip::tcp::endpoint runtime_api;                  // AWS_LAMBDA_RUNTIME_API
  unsigned concurrency = 1;                             // AWS_LAMBDA_MAX_CONCURRENCY
  invoke_mode mode = invoke_mode::buffered;             // TSPROXY_INVOKE_MODE: the Function URL's invoke mode
  std::optional<allow_list> allowed_targets;            // TSPROXY_ALLOWED_TARGETS; absent = any target
  std::vector<upstream_target> prewarm;                 // TSPROXY_PREWARM: [https://]host:port,...
  std::size_t prewarm_connections = 2;                  // TSPROXY_PREWARM_CONNECTIONS per listed target
  std::string metrics_namespace = "tailscale-service";  // TSPROXY_METRICS_NAMESPACE
  log_level level = log_level::info;                    // TSPROXY_LOG_LEVEL, or DEBUG set (Node proxy parity)
  std::chrono::milliseconds deadline_margin{
      300};  // TSPROXY_DEADLINE_MARGIN_MS: answer 504 this long before Lambda's deadline
  std::size_t max_response_bytes = 6 * 1024 * 1024;  // buffered payload limit of Lambda
  // TSPROXY_TAILSCALE_SOCKET: tailscaled's LocalAPI socket, asked whether Tailscale is up when the SOCKS5
  // listener answers 0x01; empty = never ask (0x01 is then judged by the not-ready window alone).
  std::string tailscale_socket = "/tmp/tailscale.sock";
};

// Reads the configuration; on failure returns nullopt with `error` naming the variable. Even then
// `runtime_api_out` is filled when AWS_LAMBDA_RUNTIME_API was valid, so /init/error can be reported.
std::optional<runtime_config> load_runtime_config(const env_lookup& env, std::string& error,
                                                  std::optional<asio::ip::tcp::endpoint>& runtime_api_out);

}  // namespace tsproxy::lambda
