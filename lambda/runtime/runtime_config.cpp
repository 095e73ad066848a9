#include "runtime/runtime_config.hpp"

#include <sched.h>

#include <algorithm>

#include "adapter/target_address.hpp"
#include "config/config_reader.hpp"
#include "config/engine_environment.hpp"
#include "config/numeric_endpoint.hpp"

namespace tsproxy::lambda {

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
  namespace vars = config::vars;
  runtime_config c;
  config::config_reader r(env, error);
  const char* api = r.lookup(vars::runtime_api);
  if (api == nullptr || !parse_numeric_endpoint(api, c.runtime_api)) {
    error = std::string(vars::runtime_api.name) + " must be " + config::expected_text(vars::runtime_api);
    return std::nullopt;
  }
  runtime_api_out = c.runtime_api;

  auto engine = load_engine_config(env, error);
  if (!engine) return std::nullopt;
  c.engine = std::move(*engine);

  r.count(vars::max_concurrency, c.concurrency);
  // More threads than loops would leave a thread with nothing to run.
  c.threads = std::min(std::max(cpus, 1u), c.concurrency);
  r.count(vars::threads, c.threads);
  if (c.threads > c.concurrency) {
    r.fail(vars::threads, r.lookup(vars::threads),
           "at most AWS_LAMBDA_MAX_CONCURRENCY (" + std::to_string(c.concurrency) + ")");
  }
  // Every concurrent invocation may hold a connection to the same target: keeping fewer idle than that
  // closes and reopens connections under load (measured: 3,904 vs 12,441 req/s at concurrency 64).
  if (r.lookup(vars::pool_max_idle_per_target) == nullptr) {
    c.engine.pool.max_idle_per_target =
        std::max<std::size_t>(c.engine.pool.max_idle_per_target, c.concurrency);
  }
  if (r.lookup(vars::pool_max_idle_total) == nullptr) {
    c.engine.pool.max_idle_total =
        std::max<std::size_t>(c.engine.pool.max_idle_total, 2 * std::size_t{c.concurrency});
  }
  if (const char* v = r.value_or_default(vars::invoke_mode)) {
    if (iequals(v, "buffered"))
      c.mode = invoke_mode::buffered;
    else if (iequals(v, "response_stream"))
      c.mode = invoke_mode::response_stream;
    else
      r.fail(vars::invoke_mode, v);
  }
  if (const char* v = r.lookup(vars::allowed_targets)) {
    std::string why;
    c.allowed_targets = allow_list::parse(v, why);
    if (!c.allowed_targets)
      r.fail(vars::allowed_targets, v, config::expected_text(vars::allowed_targets) + " (" + why + ")");
  }
  if (const char* v = r.lookup(vars::caller_policy)) {
    std::string why;
    c.callers = caller_policy::parse(v, why);
    if (!c.callers)
      r.fail(vars::caller_policy, v, config::expected_text(vars::caller_policy) + " (" + why + ")");
  }
  if (const char* v = r.lookup(vars::prewarm); v != nullptr && !parse_prewarm(v, c.prewarm))
    r.fail(vars::prewarm, v);
  r.count(vars::prewarm_connections, c.prewarm_connections);
  r.text(vars::metrics_namespace, c.metrics_namespace);
  r.flag(vars::metrics_phases, c.metrics_phases);
  read_log_settings(r, c.logging);
  r.milliseconds(vars::deadline_margin, c.deadline_margin);
  r.milliseconds(vars::shutdown_grace, c.shutdown_grace);
  r.milliseconds(vars::runtime_api_patience, c.runtime_api_patience);
  r.milliseconds(vars::warmer_hold, c.warmer_hold);
  r.flag(vars::trace_context, c.trace_context);
  r.flag(vars::diagnose, c.diagnose);
  r.text(vars::tailscale_socket, c.tailscale_socket);
  if (c.tailscale_socket == "none") c.tailscale_socket.clear();  // never ask the LocalAPI
  if (!r.ok()) return std::nullopt;
  return c;
}

}  // namespace tsproxy::lambda
