#include "tsproxy/engine/upstream_connector.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "tsproxy/engine/socks5_client.hpp"
#include "tsproxy/engine/tcp_connect.hpp"
#include "tsproxy/engine/tls_client_context.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

namespace {

asio::ip::address listener_address(const std::string& host) {
  return asio::ip::make_address(host == "localhost" ? std::string("127.0.0.1") : host);
}

}  // namespace

upstream_connector::upstream_connector(const engine_config& config, tls_client_context& tls)
    : config_(config),
      tls_(tls),
      listener_(listener_address(config.socks5.host), config.socks5.port),
      jitter_(std::random_device{}()) {}

// Full jitter over an exponential ramp: 10 ms, 20 ms, 40 ms ... capped at 1 s.
std::chrono::milliseconds upstream_connector::backoff(int attempt) {
  const long ceiling = std::min(1000L, 10L << std::min(attempt, 7));
  return std::chrono::milliseconds(ceiling / 2 +
                                   static_cast<long>(jitter_() % static_cast<unsigned>(ceiling / 2 + 1)));
}

asio::awaitable<std::error_code> upstream_connector::open_tunnel(const std::string& host, std::uint16_t port,
                                                                 time_point deadline,
                                                                 asio::ip::tcp::socket& socket,
                                                                 asio::ip::address& bound,
                                                                 time_point& connected) {
  auto connect_bound = bound_phase(deadline, config_.timeouts.connect, engine_error::connect_timeout);
  if (auto ec = co_await within(connect_bound, connect_tcp(socket, listener_))) co_return ec;
  connected = steady_clock::now();
  auto socks_bound = bound_phase(deadline, config_.timeouts.socks5, engine_error::socks5_timeout);
  co_return co_await within(socks_bound, socks5_handshake(socket, config_.socks5, host, port, &bound));
}

asio::awaitable<bool> upstream_connector::may_be_starting(time_point deadline) {
  if (readiness_->up()) co_return false;
  if (probe_) {
    // A bounded question: the answer must leave time to retry or to report.
    const auto state = co_await probe_(std::min(deadline, steady_clock::now() + std::chrono::seconds(1)));
    if (state == listener_state::up) {
      // The 0x01 may have been answered just before Tailscale came up: the first time it is seen up,
      // one more attempt decides. From then on (readiness_) a 0x01 is final.
      readiness_->mark_up();
      co_return true;
    }
    if (state != listener_state::unknown) co_return state == listener_state::starting;
  }
  co_return steady_clock::now() < created_ + config_.socks5.not_ready_window;
}

asio::awaitable<std::error_code> upstream_connector::open(const upstream_target& target, time_point deadline,
                                                          std::unique_ptr<transport>& out,
                                                          open_phases* phases) {
  auto executor = co_await asio::this_coro::executor;
  const time_point started = steady_clock::now();
  time_point connected = started;
  std::string dial_host = target.host;
  if (policy_ && !is_ip_literal(target.host)) {
    if (auto ec = co_await policy_->choose_address(target, deadline, dial_host)) co_return ec;
  }
  for (int attempt = 0;; ++attempt) {
    asio::ip::tcp::socket socket(executor);
    asio::ip::address bound;
    const auto ec = co_await open_tunnel(dial_host, target.port, deadline, socket, bound, connected);
    if (!ec) {
      if (policy_) {
        if (auto refused = policy_->check_bound(dial_host, bound)) co_return refused;
      }
      // Only a tailnet dial proves Tailscale up: before it is Running, tailscaled dials other addresses
      // over the host's network, and they succeed while every tailnet target still answers 0x01.
      if (!is_ip_literal(dial_host) || is_tailnet_address(dial_host)) readiness_->mark_up();
      out = std::make_unique<transport>(std::move(socket));
      break;
    }
    // A retry that the request's deadline cut short leaves the listener's last answer standing: the
    // caller learns that Tailscale was not ready, not merely that time ran out.
    if (attempt > 0 && ec == engine_error::request_deadline)
      co_return make_error_code(engine_error::socks5_general_failure);
    if (ec != engine_error::socks5_general_failure) co_return ec;  // every other answer is final
    if (!co_await may_be_starting(deadline))
      co_return make_error_code(engine_error::socks5_target_unreachable);
    const auto pause = backoff(attempt);
    if (steady_clock::now() + pause >= deadline) co_return ec;  // still not ready when time ran out
    ++not_ready_retries_;
    asio::steady_timer timer(executor, pause);
    co_await timer.async_wait(use_tuple);
  }
  const time_point tunnelled = steady_clock::now();
  time_point secured = tunnelled;  // a plain-HTTP target's TLS phase is exactly zero
  if (target.tls) {
    auto tls_bound =
        bound_phase(deadline, config_.timeouts.tls_handshake, engine_error::tls_handshake_timeout);
    if (auto ec = co_await within(tls_bound, out->start_tls(tls_, target))) {
      out.reset();
      co_return ec;
    }
    secured = steady_clock::now();
  }
  if (phases != nullptr)
    *phases = {.connect = connected - started, .socks5 = tunnelled - connected, .tls = secured - tunnelled};
  co_return std::error_code{};
}

}  // namespace tsproxy
