#include "tsproxy/engine/response_sink.hpp"

#include "tsproxy/engine/errors.hpp"

namespace tsproxy {

asio::awaitable<std::error_code> buffered_response::on_head(const response_head& h) {
  head = h;
  co_return std::error_code{};
}

asio::awaitable<std::error_code> buffered_response::on_body(std::string_view piece) {
  if (body.size() + piece.size() > max_body_bytes_) co_return std::error_code(engine_error::sink_rejected);
  body.append(piece);
  co_return std::error_code{};
}

asio::awaitable<std::error_code> buffered_response::on_complete(const std::vector<header_field>& t) {
  trailers = t;
  complete = true;
  co_return std::error_code{};
}

}  // namespace tsproxy
