#pragma once
// The runtime's configuration: the engine's knobs plus what Lambda and the caller contract add,
// parsed once at start-up from the environment. A bad value is an init error naming the variable.

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapter/caller_policy.hpp"
#include "adapter/routing.hpp"
#include "common/log_settings.hpp"
#include "config/environment.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

enum class invoke_mode { buffered, response_stream };

struct runtime_config {
  engine_config engine;
  asio::ip::tcp::endpoint runtime_api;  // AWS_LAMBDA_RUNTIME_API
  unsigned concurrency = 1;             // AWS_LAMBDA_MAX_CONCURRENCY
  // TSPROXY_THREADS: event-loop threads, each with its own share of the loops and its own pool; default
  // min(CPUs this process may run on, concurrency), so standard Lambda (concurrency 1) keeps one thread.
  unsigned threads = 1;
  invoke_mode mode = invoke_mode::buffered;             // TSPROXY_INVOKE_MODE: the Function URL's invoke mode
  std::optional<allow_list> allowed_targets;            // TSPROXY_ALLOWED_TARGETS; absent = any target
  std::optional<caller_policy> callers;                 // TSPROXY_CALLER_POLICY; absent = every caller alike
  std::vector<upstream_target> prewarm;                 // TSPROXY_PREWARM: [https://]host:port,...
  std::size_t prewarm_connections = 2;                  // TSPROXY_PREWARM_CONNECTIONS per listed target
  std::string metrics_namespace = "tailscale-service";  // TSPROXY_METRICS_NAMESPACE
  bool metrics_phases = false;  // TSPROXY_METRICS_PHASES: the latency split by phase (adapter/metrics.hpp)
  log_settings logging;  // AWS_LAMBDA_LOG_LEVEL/_FORMAT, DEBUG, TSPROXY_LOG_LEVEL (common/log_settings.hpp)
  std::chrono::milliseconds deadline_margin{
      300};  // TSPROXY_DEADLINE_MARGIN_MS: answer 504 this long before Lambda's deadline
  // TSPROXY_SHUTDOWN_GRACE_MS: after SIGTERM, how long invocations in flight may take to finish (Lambda's
  // shutdown phase leaves a runtime without extensions 300 ms in all).
  std::chrono::milliseconds shutdown_grace{250};
  // TSPROXY_RUNTIME_API_PATIENCE_MS: an unreachable Runtime API this long, without a break and with no
  // invocation in flight, means Lambda is gone (runtime_liveness.hpp).
  std::chrono::milliseconds runtime_api_patience{10'000};
  // TSPROXY_WARMER_HOLD_MS: how long a warmer invocation keeps its environment busy before answering, so
  // that the N invocations of one warmer round overlap and Lambda routes them to N environments (answered
  // at once, a few could all be served by one). Several times the spread of a round's arrivals; billed
  // N x this per round.
  std::chrono::milliseconds warmer_hold{100};
  // TSPROXY_TRACE_CONTEXT: the target gets the invocation's X-Amzn-Trace-Id and, unless the caller sent
  // one, a traceparent derived from it (adapter/trace_context.hpp).
  bool trace_context = true;
  // TSPROXY_DIAGNOSE: every caller may ask for a diagnosis (ts-diagnose: true); else only those the caller
  // policy allows.
  bool diagnose = false;
  std::size_t max_response_bytes = 6 * 1024 * 1024;  // buffered payload limit of Lambda
  // TSPROXY_TAILSCALE_SOCKET: tailscaled's LocalAPI socket, asked whether Tailscale is up when the SOCKS5
  // listener answers 0x01; empty (the variable says `none`) = never ask (0x01 is then judged by the
  // not-ready window alone).
  std::string tailscale_socket = "/tmp/tailscale.sock";
};

// The CPUs this process may run on (sched_getaffinity), at least 1.
unsigned available_cpus() noexcept;

// Reads the configuration; on failure returns nullopt with `error` naming the variable. Even then
// `runtime_api_out` is filled when AWS_LAMBDA_RUNTIME_API was valid, so /init/error can be reported.
// `cpus` bounds the default thread count.
std::optional<runtime_config> load_runtime_config(const env_lookup& env, std::string& error,
                                                  std::optional<asio::ip::tcp::endpoint>& runtime_api_out,
                                                  unsigned cpus = available_cpus());

// One event-loop thread's share of a process configuration: its number of invocation loops (the
// concurrency split evenly, the first threads taking one more when it does not divide), and pool and
// prewarm limits divided the same way, rounded up so every thread keeps at least one of each. The limits
// of the process configuration stay per process.
runtime_config config_for_thread(const runtime_config& process, unsigned thread_index);

}  // namespace tsproxy::lambda
