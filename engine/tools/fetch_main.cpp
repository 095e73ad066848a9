// tsproxy-fetch: fetches URLs through the SOCKS5 listener with the engine's warm pool.
//   tsproxy-fetch [-n COUNT] [-c CONCURRENCY] [-q] URL
// With COUNT > 1 it repeats the request and prints latency percentiles and pool counters.

#include <algorithm>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "config/engine_environment.hpp"
#include "tsproxy/engine/io_backend.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/upstream_client.hpp"

namespace {

struct url_parts {
  tsproxy::upstream_target target;
  std::string path;
};

bool parse_url(std::string_view url, url_parts& out) {
  bool tls = false;
  if (url.starts_with("http://"))
    url.remove_prefix(7);
  else if (url.starts_with("https://"))
    url.remove_prefix(8), tls = true;
  else
    return false;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  std::uint16_t port = tls ? 443 : 80;
  std::string host;
  if (authority.find(':') != std::string_view::npos || authority.starts_with('[')) {
    if (!tsproxy::parse_host_port(authority, host, port)) {
      if (!authority.starts_with('[')) return false;
      host = std::string(authority.substr(1, authority.size() - 2));
    }
  } else {
    host = std::string(authority);
  }
  out.target = {host, port, tls, tsproxy::is_ip_literal(host) ? std::string() : host};
  return !host.empty();
}

int usage() {
  std::fprintf(stderr, "usage: tsproxy-fetch [-n COUNT] [-c CONCURRENCY] [-q] http[s]://host:port/path\n");
  return 2;
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): an exception here is a bug; std::terminate names it and aborts
int main(int argc, char** argv) {
  tsproxy::ensure_io_backend(argv);
  int count = 1;
  int concurrency = 1;
  bool quiet = false;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-n" && i + 1 < argc)
      count = std::max(1, std::atoi(argv[++i]));
    else if (a == "-c" && i + 1 < argc)
      concurrency = std::max(1, std::atoi(argv[++i]));
    else if (a == "-q")
      quiet = true;
    else if (url.empty())
      url = a;
    else
      return usage();
  }
  url_parts parts;
  if (url.empty() || !parse_url(url, parts)) return usage();

  std::string error;
  auto config = tsproxy::load_engine_config(tsproxy::process_env, error);
  if (!config) {
    std::fprintf(stderr, "tsproxy-fetch: %s\n", error.c_str());
    return 2;
  }
  asio::io_context io(1);
  tsproxy::upstream_client client(*config);
  std::vector<double> latencies_us;
  int failures = 0;
  int remaining = count;
  std::string last_body;
  int last_status = 0;

  auto worker = [&]() -> asio::awaitable<void> {
    while (remaining > 0) {
      --remaining;
      tsproxy::http_request request{"GET", parts.path, {{"user-agent", "tsproxy-fetch"}}, {}};
      tsproxy::buffered_response response(64 * 1024 * 1024);
      const auto start = std::chrono::steady_clock::now();
      const auto ec =
          co_await client.exchange(parts.target, request, response, start + config->timeouts.request);
      latencies_us.push_back(
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
      if (ec) {
        ++failures;
        std::fprintf(stderr, "tsproxy-fetch: %s: %s (%s; %s:%d)\n", url.c_str(), ec.message().c_str(),
                     std::string(tsproxy::error_name(ec)).c_str(), ec.category().name(), ec.value());
        continue;
      }
      last_status = response.head.status;
      last_body = std::move(response.body);
    }
  };
  // Stopped once every worker is done: pooled connections keep their deadline timers armed, which would
  // otherwise hold run() until the last of them fires.
  int working = concurrency;
  auto worker_then_stop = [&]() -> asio::awaitable<void> {
    co_await worker();
    if (--working == 0) io.stop();
  };
  for (int i = 0; i < concurrency; ++i)
    tsproxy::spawn_reported(io.get_executor(), "fetch", worker_then_stop());
  io.run();

  if (count == 1) {
    if (failures == 0 && !quiet) std::fwrite(last_body.data(), 1, last_body.size(), stdout);
    return failures == 0 ? 0 : 1;
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  auto pct = [&](double p) {
    return latencies_us[static_cast<std::size_t>(p * static_cast<double>(latencies_us.size() - 1))];
  };
  const auto s = client.stats();
  std::printf("backend=%s requests=%d failures=%d last_status=%d\n", tsproxy::io_backend_name(), count,
              failures, last_status);
  std::printf("latency_us p50=%.1f p90=%.1f p99=%.1f max=%.1f\n", pct(0.5), pct(0.9), pct(0.99),
              latencies_us.back());
  std::printf("pool hits=%llu misses=%llu opened=%llu stale=%llu evictions=%llu retries=%llu idle=%zu\n",
              static_cast<unsigned long long>(s.hits), static_cast<unsigned long long>(s.misses),
              static_cast<unsigned long long>(s.opened), static_cast<unsigned long long>(s.stale_discards),
              static_cast<unsigned long long>(s.evictions), static_cast<unsigned long long>(s.retries),
              s.idle);
  return failures == 0 ? 0 : 1;
}
