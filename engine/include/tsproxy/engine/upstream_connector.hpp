#pragma once
// Opens new upstream connections: TCP to the SOCKS5 listener, the SOCKS5 handshake, then TLS when
// the target wants it. While Tailscale is still starting, the listener answers CONNECT with
// "general failure"; those attempts are retried with jittered backoff until the deadline.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>
#include <random>
#include <system_error>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

class tls_client_context;

class upstream_connector {
 public:
  upstream_connector(const engine_config& config, tls_client_context& tls);

  asio::awaitable<std::error_code> open(const upstream_target& target, time_point deadline,
                                        std::unique_ptr<transport>& out);

  std::uint64_t not_ready_retries() const noexcept { return not_ready_retries_; }

 private:
  asio::awaitable<std::error_code> open_tunnel(const upstream_target& target, time_point deadline,
                                               asio::ip::tcp::socket& socket);
  std::chrono::milliseconds backoff(int attempt);

  const engine_config& config_;
  tls_client_context& tls_;
  asio::ip::tcp::endpoint listener_;
  std::minstd_rand jitter_;
  std::uint64_t not_ready_retries_ = 0;
};

}  // namespace tsproxy
