#pragma once
// Warm upstream connections, kept per target (address or host name, port, TLS, SNI) and handed
// out most-recently-used first, so the connection most likely still open is tried first.
// Idle connections are retired by idle timeout, age, request count and the idle limits; each is
// checked for a peer close or unsolicited bytes before reuse. Not thread-safe: one io_context thread.

#include <asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <system_error>
#include <vector>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/open_phases.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

class upstream_connector;

struct pool_stats {
  std::uint64_t hits = 0;            // acquisitions served by an idle connection
  std::uint64_t misses = 0;          // acquisitions that opened a new connection
  std::uint64_t stale_discards = 0;  // idle connections found closed or dirty when about to be reused
  std::uint64_t evictions = 0;       // idle connections retired by timeout, age, request count or limits
  std::uint64_t retries = 0;         // requests replayed on a fresh connection after a reused one failed
  std::uint64_t opened = 0;          // connections opened (including prewarm)
  std::uint64_t open_failures = 0;
  std::uint64_t tls_resumptions = 0;    // TLS handshakes that resumed a cached session
  std::uint64_t not_ready_retries = 0;  // SOCKS5 "general failure" answers retried while Tailscale starts
  std::size_t idle = 0;                 // connections idle in the pool now
};

struct pooled_connection {
  std::unique_ptr<transport> stream;
  upstream_target target;
  time_point created{};
  time_point last_used{};
  std::uint32_t requests = 0;  // completed exchanges
  bool from_pool = false;      // taken from the idle set (so a failure may be the server's idle close)
  open_phases opening;         // how long opening it took
};
using connection_ptr = std::unique_ptr<pooled_connection>;

// What the pool reads the time from to age its connections: steady_clock, or a clock a test moves.
using pool_clock = std::function<time_point()>;

class connection_pool {
 public:
  connection_pool(
      const pool_settings& settings, upstream_connector& connector,
      pool_clock now = [] { return steady_clock::now(); });
  ~connection_pool();

  // An idle connection to `target` when one is usable (unless `fresh`), else a new one.
  asio::awaitable<std::error_code> acquire(const upstream_target& target, time_point deadline, bool fresh,
                                           connection_ptr& out);

  // Returns a connection after an exchange. `reusable` means the exchange ended cleanly with the
  // connection in a known state (complete response, keep-alive, no leftover bytes).
  void release(connection_ptr connection, bool reusable);

  // Opens up to `count` connections to `target` concurrently and parks them idle; returns how
  // many are idle for it afterwards. Bounded by `deadline`.
  asio::awaitable<std::size_t> prewarm(const upstream_target& target, std::size_t count, time_point deadline);

  void note_retry() noexcept { ++stats_.retries; }

  // Closes every idle connection.
  void clear();

  pool_stats stats() const;
  std::size_t idle_for(const upstream_target& target) const;

 private:
  asio::awaitable<std::error_code> open_new(const upstream_target& target, time_point deadline,
                                            connection_ptr& out);
  bool retired(const pooled_connection& c, time_point now) const;
  void sweep(time_point now);
  void enforce_limits(const upstream_target& just_parked);

  pool_settings settings_;
  upstream_connector& connector_;
  pool_clock now_;
  std::map<upstream_target, std::vector<connection_ptr>> idle_;  // per target: back = most recently used
  std::size_t idle_count_ = 0;
  time_point last_sweep_{};
  pool_stats stats_;
};

}  // namespace tsproxy
