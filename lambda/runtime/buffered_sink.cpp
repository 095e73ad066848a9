#include "runtime/buffered_sink.hpp"

#include "adapter/response_encoding.hpp"

namespace tsproxy::lambda {

bool buffered_sink::fits(std::uint64_t body_length) const noexcept {
  // The error closing repeats at most two of the target's header values, all of which closing_ holds.
  const std::size_t closing = closing_.size() + pipelined_error_closing_max;
  return pipelined_opening.size() + base64_encoded_size(body_length) + closing <= limit_;
}

asio::awaitable<std::error_code> buffered_sink::on_head(const response_head& head) {
  status_ = head.status;
  const bool large = !head_request_ && head.body_length && *head.body_length >= pipeline_min_bytes;
  if (large) encode_pipelined_closing(head, closing_);  // only then: most answers are small
  if (!large || !fits(*head.body_length)) co_return co_await collected_.on_head(head);
  pipelined_ = true;
  head_ = head;
  encoded_.reserve(write_bytes + write_bytes / 4);
  auto ec = co_await api_.chunked_response_begin(request_id_, pipelined_opening, until_);
  api_failed_ = static_cast<bool>(ec);
  co_return ec;
}

asio::awaitable<std::error_code> buffered_sink::on_body(std::string_view piece) {
  body_bytes_ += piece.size();
  if (!pipelined_) co_return co_await collected_.on_body(piece);
  encoder_.append(encoded_, piece);
  if (encoded_.size() < write_bytes) co_return std::error_code{};
  co_return co_await write();
}

asio::awaitable<std::error_code> buffered_sink::on_complete(const std::vector<header_field>& trailers) {
  if (!pipelined_) co_return co_await collected_.on_complete(trailers);
  co_return co_await finish();
}

asio::awaitable<std::error_code> buffered_sink::fail(int status, std::string_view name,
                                                     std::string_view message) {
  encode_pipelined_error_closing(head_, status, name, message, closing_);
  co_return co_await finish();
}

asio::awaitable<std::error_code> buffered_sink::write() {
  auto ec = co_await api_.stream_write(encoded_, until_);
  encoded_.clear();
  api_failed_ = static_cast<bool>(ec);
  co_return ec;
}

asio::awaitable<std::error_code> buffered_sink::finish() {
  encoder_.finish(encoded_);
  encoded_.append(closing_);
  if (auto ec = co_await write()) co_return ec;
  auto ec = co_await api_.stream_end(until_);
  api_failed_ = static_cast<bool>(ec);
  co_return ec;
}

}  // namespace tsproxy::lambda
