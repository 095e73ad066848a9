#pragma once
// Client of the Lambda Extensions API (2020-01-01) on AWS_LAMBDA_RUNTIME_API. The request bytes come
// from extensions_api_requests (pure builders); two common/api_connection keep-alive connections move
// them: one for the event/next long poll (no client-side timeout: Lambda freezes the process while no
// event is queued), one for the calls made meanwhile (init/error, exit/error), each bounded by the
// deadline it is given. A non-2xx answer is http_unexpected_status (its status in last_status()).

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "common/api_connection.hpp"
#include "extension/extension_event.hpp"
#include "tsproxy/engine/deadline.hpp"

namespace tsproxy::extension {

class extensions_api_client {
 public:
  static constexpr std::size_t max_event_bytes = 64 * 1024;  // events are a few hundred bytes
  static constexpr std::size_t max_reply_bytes = 64 * 1024;

  extensions_api_client(const asio::any_io_executor& executor, const asio::ip::tcp::endpoint& endpoint);

  // POST register for INVOKE and SHUTDOWN; keeps the Lambda-Extension-Identifier of the answer.
  asio::awaitable<std::error_code> register_extension(std::string_view name, time_point until);
  // GET event/next: the next event (http_bad_header when the answer is not a known event).
  asio::awaitable<std::error_code> next(extension_event& out);
  asio::awaitable<std::error_code> post_init_error(std::string_view error_type, std::string_view message,
                                                   time_point until);
  asio::awaitable<std::error_code> post_exit_error(std::string_view error_type, std::string_view message,
                                                   time_point until);

  const std::string& identifier() const noexcept { return identifier_; }
  int last_status() const noexcept { return last_status_; }

 private:
  asio::awaitable<std::error_code> call(std::string head, std::string body);

  lambda::api_connection events_;  // the event/next long poll
  lambda::api_connection calls_;   // everything else, usable while a long poll waits
  std::string identifier_;
  std::string head_;   // the head of the next request being sent
  std::string event_;  // body of the last event (kept for its capacity)
  std::string reply_;  // body of the last answer to a call
  int last_status_ = 0;
};

}  // namespace tsproxy::extension
