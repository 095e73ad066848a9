#include "runtime/stream_sink.hpp"

#include "adapter/response_encoding.hpp"

namespace tsproxy::lambda {

asio::awaitable<std::error_code> stream_sink::on_head(const response_head& head) {
  prelude_.clear();
  encode_stream_prelude(head, prelude_, head_request_);
  started_ = true;
  status_ = head.status;
  auto ec = co_await api_.stream_begin(request_id_, prelude_, until_);
  api_failed_ = static_cast<bool>(ec);
  co_return ec;
}

asio::awaitable<std::error_code> stream_sink::on_body(std::string_view piece) {
  body_bytes_ += piece.size();
  auto ec = co_await api_.stream_write(piece, until_);
  api_failed_ = static_cast<bool>(ec);
  co_return ec;
}

asio::awaitable<std::error_code> stream_sink::on_complete(const std::vector<header_field>&) {
  auto ec = co_await api_.stream_end(until_);
  api_failed_ = static_cast<bool>(ec);
  co_return ec;
}

}  // namespace tsproxy::lambda
