#pragma once
// A connected byte stream to an upstream: a TCP socket through the SOCKS5 listener, optionally
// with TLS on top. Expected failures come back as error codes; no operation throws.

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "tsproxy/engine/deadline_watch.hpp"

namespace tsproxy {

class tls_client_context;
struct upstream_target;

// What the server's certificate says about itself, for a person checking why TLS fails or soon will.
struct peer_certificate {
  std::vector<std::string> names;  // subjectAltName DNS names and IP addresses, in certificate order
  std::string not_after;           // the expiry, ISO 8601 UTC ("2027-01-31T12:00:00Z")
};

class transport {
 public:
  // How the kernel acknowledges what this transport receives. A peer that writes a response in pieces
  // without TCP_NODELAY (microsocks relays in 1 KiB steps) holds each piece until the previous one is
  // acknowledged, and Linux delays that ACK up to 40 ms once a connection answers in request/response
  // rhythm; `prompt` sends it before each read that continues an answer. The Runtime API is served with
  // TCP_NODELAY (Go's default), so its connection needs no prompt ACKs.
  enum class acks { prompt, kernel_default };

  explicit transport(asio::ip::tcp::socket socket, acks ack_policy = acks::prompt);
  ~transport();
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  // Runs the TLS handshake over the established tunnel (SNI, verification, session resumption).
  asio::awaitable<std::error_code> start_tls(tls_client_context& tls, const upstream_target& target);

  // Reads at least one byte into `buffer`; `n` receives the count. A clean close is asio::error::eof
  // (a TLS peer that closes without close_notify is reported as eof too: HTTP framing decides
  // whether the message was complete). On a plain connection the first read after a write may finish
  // without suspending, when the answer is already there.
  asio::awaitable<std::error_code> read_some(asio::mutable_buffer buffer, std::size_t& n);

  // Writes every byte of `buffers` (a gather write).
  asio::awaitable<std::error_code> write(std::span<const asio::const_buffer> buffers);

  // Runs `op`, made of this transport's operations, within `bound`: once bound.until passes the transport is
  // closed (so `op` ends) and bound.on_timeout returned. One timer per transport serves every call.
  asio::awaitable<std::error_code> bounded(phase_bound bound, asio::awaitable<std::error_code> op);

  // Whether an idle connection is still fit to carry a request: the peer has not closed it and
  // has sent nothing unsolicited. Never blocks.
  bool idle_and_open() noexcept;

  void close() noexcept;
  bool is_tls() const noexcept { return tls_ != nullptr; }
  bool tls_session_reused() const noexcept;
  // The certificate the server presented in the TLS handshake; nullopt on a plain connection.
  std::optional<peer_certificate> tls_peer_certificate() const;
  asio::ip::tcp::socket& socket() noexcept;

 private:
  void ack_promptly() noexcept;

  asio::ip::tcp::socket plain_;
  acks ack_policy_;
  unsigned reads_since_write_ = 0;  // the first is tried at once (plain only); later ones owe a prompt ACK
  deadline_watch deadline_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket>> tls_;
  std::string session_key_;  // referenced by the SSL object for session caching
};

}  // namespace tsproxy
