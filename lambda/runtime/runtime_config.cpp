#include "runtime/runtime_config.hpp"

#include <sched.h>

#include <algorithm>

#include "adapter/target_address.hpp"
#include "common/numeric_endpoint.hpp"

namespace tsproxy::lambda {

namespace env_names {
constexpr const char* runtime_api = "AWS_LAMBDA_RUNTIME_API";
constexpr const char* max_concurrency = "AWS_LAMBDA_MAX_CONCURRENCY";
constexpr const char* threads = "TSPROXY_THREADS";
constexpr const char* invoke_mode = "TSPROXY_INVOKE_MODE";
constexpr const char* allowed_targets = "TSPROXY_ALLOWED_TARGETS";
constexpr const char* prewarm = "TSPROXY_PREWARM";
constexpr const char* prewarm_connections = "TSPROXY_PREWARM_CONNECTIONS";
constexpr const char* metrics_namespace = "TSPROXY_METRICS_NAMESPACE";
constexpr const char* deadline_margin = "TSPROXY_DEADLINE_MARGIN_MS";
constexpr const char* tailscale_socket = "TSPROXY_TAILSCALE_SOCKET";
constexpr const char* shutdown_grace = "TSPROXY_SHUTDOWN_GRACE_MS";
constexpr const char* warmer_hold = "TSPROXY_WARMER_HOLD_MS";
constexpr const char* trace_context = "TSPROXY_TRACE_CONTEXT";
constexpr const char* caller_policy = "TSPROXY_CALLER_POLICY";
}  // namespace env_names

namespace {

// "[https://|http://]host:port" entries, comma-separated.
bool parse_prewarm(std::string_view text, std::vector<upstream_target>& out) {
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view entry = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    std::optional<bool> tls;
    if (entry.starts_with("https://"))
      tls = true, entry.remove_prefix(8);
    else if (entry.starts_with("http://"))
      tls = false, entry.remove_prefix(7);
    upstream_target target;
    std::string host;
    if (!parse_host_port(entry, host, target.port) || !canonical_host(host, target.host)) return false;
    target.tls = tls.value_or(target.port == 443);
    // The same key a request with ts-target-host gets: a server name only for TLS.
    if (target.tls && !is_ip_literal(target.host)) target.server_name = target.host;
    out.push_back(std::move(target));
  }
  return true;
}

// `total` split over `parts`, part `index` getting one more while the remainder lasts.
std::size_t share(std::size_t total, unsigned parts, unsigned index) {
  return total / parts + (index < total % parts ? 1 : 0);
}

// A limit divided over `parts`, rounded up, at least 1.
std::size_t divided(std::size_t limit, unsigned parts) {
  return std::max<std::size_t>(1, (limit + parts - 1) / parts);
}

}  // namespace

unsigned available_cpus() noexcept {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
}

runtime_config config_for_thread(const runtime_config& process, unsigned thread_index) {
  runtime_config c = process;
  c.concurrency = static_cast<unsigned>(share(process.concurrency, process.threads, thread_index));
  c.engine.pool.max_idle_per_target = divided(process.engine.pool.max_idle_per_target, process.threads);
  c.engine.pool.max_idle_total = divided(process.engine.pool.max_idle_total, process.threads);
  c.prewarm_connections = divided(process.prewarm_connections, process.threads);
  c.threads = 1;
  return c;
}

std::optional<runtime_config> load_runtime_config(const env_lookup& env, std::string& error,
                                                  std::optional<asio::ip::tcp::endpoint>& runtime_api_out,
                                                  unsigned cpus) {
  runtime_config c;
  config_reader r(env, error);
  const char* api = r.lookup(env_names::runtime_api);
  if (api == nullptr || !parse_numeric_endpoint(api, c.runtime_api)) {
    error = std::string(env_names::runtime_api) +
            " must be host:port of the Runtime API (is this running in Lambda?)";
    return std::nullopt;
  }
  runtime_api_out = c.runtime_api;

  auto engine = load_engine_config(env, error);
  if (!engine) return std::nullopt;
  c.engine = std::move(*engine);

  r.count_value(env_names::max_concurrency, c.concurrency, 1, 1024);
  // More threads than loops would leave a thread with nothing to run.
  c.threads = std::min(std::max(cpus, 1u), c.concurrency);
  r.count_value(env_names::threads, c.threads, 1, 256);
  if (c.threads > c.concurrency) {
    r.fail(env_names::threads, r.lookup(env_names::threads),
           "at most AWS_LAMBDA_MAX_CONCURRENCY (" + std::to_string(c.concurrency) + ")");
  }
  // Every concurrent invocation may hold a connection to the same target: keeping fewer idle than that
  // closes and reopens connections under load (measured: 3,904 vs 12,441 req/s at concurrency 64).
  if (r.lookup(tsproxy::env_names::pool_per_target) == nullptr) {
    c.engine.pool.max_idle_per_target =
        std::max<std::size_t>(c.engine.pool.max_idle_per_target, c.concurrency);
  }
  if (r.lookup(tsproxy::env_names::pool_total) == nullptr) {
    c.engine.pool.max_idle_total =
        std::max<std::size_t>(c.engine.pool.max_idle_total, 2 * std::size_t{c.concurrency});
  }
  if (const char* v = r.lookup(env_names::invoke_mode)) {
    if (iequals(v, "buffered"))
      c.mode = invoke_mode::buffered;
    else if (iequals(v, "response_stream"))
      c.mode = invoke_mode::response_stream;
    else
      r.fail(env_names::invoke_mode, v, "buffered or response_stream");
  }
  if (const char* v = r.lookup(env_names::allowed_targets)) {
    std::string why;
    c.allowed_targets = allow_list::parse(v, why);
    if (!c.allowed_targets) r.fail(env_names::allowed_targets, v, "an allow-list (" + why + ")");
  }
  if (const char* v = r.lookup(env_names::caller_policy)) {
    std::string why;
    c.callers = caller_policy::parse(v, why);
    if (!c.callers) r.fail(env_names::caller_policy, v, "a caller policy (" + why + ")");
  }
  if (const char* v = r.lookup(env_names::prewarm); v != nullptr && !parse_prewarm(v, c.prewarm)) {
    r.fail(env_names::prewarm, v, "[https://]host:port[,...]");
  }
  r.count_value(env_names::prewarm_connections, c.prewarm_connections, 1, 64);
  r.string_value(env_names::metrics_namespace, c.metrics_namespace);
  read_log_settings(r, c.logging);
  r.milliseconds_value(env_names::deadline_margin, c.deadline_margin, 0);
  r.milliseconds_value(env_names::shutdown_grace, c.shutdown_grace, 0);
  r.milliseconds_value(env_names::warmer_hold, c.warmer_hold, 0);
  r.bool_value(env_names::trace_context, c.trace_context);
  if (env(env_names::tailscale_socket) != nullptr) c.tailscale_socket = env(env_names::tailscale_socket);
  if (!r.ok()) return std::nullopt;
  return c;
}

}  // namespace tsproxy::lambda
