#pragma once
// The Function URL side: an HTTP/1.1 keep-alive listener that turns each request into a payload 2.0
// event, queues it as an invocation, waits for the result within the function's deadline, and writes
// it back (buffered, or relayed as it streams). One JSON log line per invocation. With require_iam(),
// Function URL requests whose SigV4 signature does not verify get 403 as a Function URL with AuthType
// AWS_IAM answers them (function_url_auth.hpp), and one log line naming the reason.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>

#include "function_identity.hpp"
#include "function_url_auth.hpp"
#include "local_options.hpp"
#include "server_connection.hpp"
#include "sigv4_verifier.hpp"

namespace tsproxy::local {

class environment_pool;
class id_generator;
class invoke_stats;
struct invocation;

class function_url_listener {
 public:
  function_url_listener(asio::io_context& io, const local_options& options, const function_identity& function,
                        environment_pool& environments, invoke_stats& stats, id_generator& ids);

  std::error_code listen(const asio::ip::tcp::endpoint& endpoint);
  std::uint16_t port() const;
  void start();
  void stop();  // no new connections; requests in progress go on
  // From now on Function URL requests must be signed with one of these keys (direct invokes stay open),
  // and their events name the signer's principal.
  void require_iam(function_url_iam iam) { iam_ = std::move(iam); }
  // Requests read and not yet fully answered.
  std::size_t active_requests() const noexcept { return active_; }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);
  // Serves the request whose head was just read; returns whether the connection may be reused.
  asio::awaitable<bool> handle(server_connection& conn);
  asio::awaitable<bool> reject(server_connection& conn, int status, std::string_view error_type,
                               std::string_view message, bool drain);
  // The Function URL's 403 for a request whose signature does not verify.
  asio::awaitable<bool> forbid(server_connection& conn, sigv4_rejection why, bool keep_alive);
  // 429 TooManyRequestsException: every environment is busy and the queue is full.
  asio::awaitable<bool> throttle(server_connection& conn, std::string_view request_id, bool keep_alive);
  // The front door's own answer (403, 429) to a request whose body was read whole, so the connection
  // stays usable, as a Function URL's does; HEAD gets no body.
  asio::awaitable<bool> refuse(server_connection& conn, int status, std::string_view error_type,
                               std::string_view body, std::string_view request_id, bool keep_alive);
  asio::awaitable<bool> deliver(server_connection& conn, invocation& inv, bool keep_alive, bool head_only);

  asio::io_context& io_;
  const local_options& options_;
  const function_identity& function_;
  environment_pool& environments_;
  invoke_stats& stats_;
  id_generator& ids_;
  asio::ip::tcp::acceptor acceptor_;
  std::size_t active_ = 0;
  std::optional<function_url_iam> iam_;
};

}  // namespace tsproxy::local
