#pragma once
// Opens new upstream connections: TCP to the SOCKS5 listener, the SOCKS5 handshake, then TLS when
// the target wants it.
//
// Not ready vs. unreachable: tailscaled answers CONNECT with 0x01 "general failure" while Tailscale is
// still starting, and once it is up for every target it cannot dial (refused port, offline machine,
// unknown name). So a 0x01 is retried with jittered backoff (within the deadline) only while the
// listener may still be starting:
//  - once a CONNECT to a tailnet address (or a name, which MagicDNS resolves) has succeeded, the
//    listener is up and 0x01 is final (socks5_target_unreachable); a CONNECT to any other address proves
//    nothing, since tailscaled dials those over the host's network before Tailscale is up;
//  - otherwise a readiness probe, when one is set (the runtime asks tailscaled's LocalAPI), decides:
//    starting -> retry; up -> the listener is up from now on, and one more attempt decides (that 0x01
//    may predate the change); unknown -> the window rule;
//  - the window rule: retry only within socks5.not_ready_window of the connector's creation.
// What one connector learns (the listener is up) holds for every connector sharing its
// listener_readiness: one per process, so every event-loop thread knows it at once.
//
// Where a connection really goes: with a dial_policy set, a target named by DNS name is resolved by the
// policy before the CONNECT, which then names the address the policy checked (the name stays the TLS
// server name and the pool's key). One resolution per new connection, so nothing can rebind between the
// check and the dial. After the CONNECT the policy sees the listener's bound address as well.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <system_error>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/open_phases.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

class tls_client_context;

enum class listener_state { up, starting, unknown };

// Asked after a 0x01 while the listener has not proven itself up; must finish by `until`.
using listener_probe = std::function<asio::awaitable<listener_state>(time_point until)>;

// Decides, for each new connection, what is dialled; its errors refuse the target and reach the caller.
class dial_policy {
 public:
  virtual ~dial_policy() = default;
  // The IP literal to CONNECT to for `target`, whose host is a DNS name, by `deadline`.
  virtual asio::awaitable<std::error_code> choose_address(const upstream_target& target, time_point deadline,
                                                          std::string& dial_host) const = 0;
  // After a successful CONNECT to `dial_host` (an IP literal, or the target's name when no policy chose
  // one): the listener's bound address, unspecified when its reply names none.
  virtual std::error_code check_bound(const std::string& dial_host, const asio::ip::address& bound) const = 0;
};

// Whether the SOCKS5 listener has proven itself up: a CONNECT into the tailnet through it succeeded, or
// the probe said so.
class listener_readiness {
 public:
  bool up() const noexcept { return up_.load(std::memory_order_relaxed); }
  void mark_up() noexcept { up_.store(true, std::memory_order_relaxed); }

 private:
  std::atomic<bool> up_{false};
};

class upstream_connector {
 public:
  upstream_connector(const engine_config& config, tls_client_context& tls);

  // A new connection to `target`, through the listener (and TLS when the target asks for it); `phases`
  // (when given) receives how long each phase took.
  asio::awaitable<std::error_code> open(const upstream_target& target, time_point deadline,
                                        std::unique_ptr<transport>& out, open_phases* phases = nullptr);

  void set_listener_probe(listener_probe probe) { probe_ = std::move(probe); }
  void set_dial_policy(std::shared_ptr<const dial_policy> policy) { policy_ = std::move(policy); }
  // Replaces this connector's own readiness with one shared by other connectors (other threads').
  void share_readiness(std::shared_ptr<listener_readiness> shared) { readiness_ = std::move(shared); }

  std::uint64_t not_ready_retries() const noexcept { return not_ready_retries_; }
  bool listener_up() const noexcept { return readiness_->up(); }

 private:
  // One attempt: TCP to the listener, then SOCKS5. `connected` is when the listener accepted.
  asio::awaitable<std::error_code> open_tunnel(const std::string& host, std::uint16_t port,
                                               time_point deadline, asio::ip::tcp::socket& socket,
                                               asio::ip::address& bound, time_point& connected);
  // Whether a 0x01 answer may still mean "not ready yet".
  asio::awaitable<bool> may_be_starting(time_point deadline);
  std::chrono::milliseconds backoff(int attempt);

  const engine_config& config_;
  tls_client_context& tls_;
  asio::ip::tcp::endpoint listener_;
  time_point created_ = steady_clock::now();
  listener_probe probe_;
  std::shared_ptr<const dial_policy> policy_;
  std::shared_ptr<listener_readiness> readiness_ = std::make_shared<listener_readiness>();
  std::minstd_rand jitter_;
  std::uint64_t not_ready_retries_ = 0;
};

}  // namespace tsproxy
