#include "extension/extensions_api_client.hpp"

#include <array>

#include "extension/extensions_api_requests.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::extension {

extensions_api_client::extensions_api_client(const asio::any_io_executor& executor,
                                             const asio::ip::tcp::endpoint& endpoint)
    : events_(executor, endpoint), calls_(executor, endpoint) {}

asio::awaitable<std::error_code> extensions_api_client::call(std::string head, std::string body) {
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(head), asio::buffer(body)};
  auto ec = co_await calls_.exchange(pieces, reply_, max_reply_bytes);
  last_status_ = calls_.last_status();
  if (!ec) ec = calls_.status_error();
  co_return ec;
}

asio::awaitable<std::error_code> extensions_api_client::register_extension(std::string_view name,
                                                                           time_point until) {
  if (!extensions_api::is_valid_name(name)) co_return make_error_code(engine_error::http_bad_header);
  auto request = extensions_api::register_request(calls_.target(), name);
  if (auto ec = co_await calls_.bounded(until, call(std::move(request.head), std::move(request.body))))
    co_return ec;
  const auto identifier = find_header(calls_.parser().response().headers, extensions_api::identifier_header);
  if (!extensions_api::is_valid_identifier(identifier))
    co_return make_error_code(engine_error::http_bad_header);
  identifier_ = identifier;
  co_return std::error_code{};
}

asio::awaitable<std::error_code> extensions_api_client::next(extension_event& out) {
  head_ = extensions_api::next_request(events_.target(), identifier_);
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(head_)};
  if (auto ec = co_await events_.exchange(pieces, event_, max_event_bytes, extension_event_padding))
    co_return ec;
  last_status_ = events_.last_status();
  if (auto ec = events_.status_error()) co_return ec;
  auto event = parse_extension_event(event_);
  if (!event) co_return make_error_code(engine_error::http_bad_header);
  out = std::move(*event);
  co_return std::error_code{};
}

asio::awaitable<std::error_code> extensions_api_client::post_init_error(std::string_view error_type,
                                                                        std::string_view message,
                                                                        time_point until) {
  auto request = extensions_api::init_error_request(calls_.target(), identifier_, error_type, message);
  co_return co_await calls_.bounded(until, call(std::move(request.head), std::move(request.body)));
}

asio::awaitable<std::error_code> extensions_api_client::post_exit_error(std::string_view error_type,
                                                                        std::string_view message,
                                                                        time_point until) {
  auto request = extensions_api::exit_error_request(calls_.target(), identifier_, error_type, message);
  co_return co_await calls_.bounded(until, call(std::move(request.head), std::move(request.body)));
}

}  // namespace tsproxy::extension
