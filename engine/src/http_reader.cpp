#include "tsproxy/engine/http_reader.hpp"

#include <cstring>

#include "tsproxy/engine/errors.hpp"

namespace tsproxy {

namespace {

// Not a coroutine itself: an unbounded read (the common case) adds no frame around the transport's.
asio::awaitable<std::error_code> read_within(phase_bound bound, const read_some_operation& read_some,
                                             asio::mutable_buffer into, std::size_t& got) {
  if (bound.until == time_point::max()) return read_some(into, got);
  return within(bound, read_some(into, got));
}

}  // namespace

http_reader::http_reader(http_parser::kind kind, http_limits limits, read_some_operation read_some)
    : parser_(kind, limits),
      read_some_(std::move(read_some)),
      capacity_(limits.max_head_bytes + read_chunk),
      data_(std::make_unique_for_overwrite<char[]>(capacity_)) {}

void http_reader::clear() noexcept {
  begin_ = end_ = piece_bytes_ = 0;
  parser_.reset();
}

void http_reader::consume_piece() noexcept {
  begin_ += piece_bytes_;
  piece_bytes_ = 0;
}

asio::awaitable<std::error_code> http_reader::fill(phase_bound bound) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (end_ == capacity_) {
    if (begin_ == 0) co_return make_error_code(engine_error::http_header_too_large);
    std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  std::size_t got = 0;
  auto ec = co_await read_within(bound, read_some_, asio::buffer(data_.get() + end_, capacity_ - end_), got);
  end_ += got;
  if (ec == asio::error::eof) ec = parser_.finish_eof();
  co_return ec;
}

std::error_code http_reader::parse_buffered(http_parser::step& step) {
  std::error_code ec;
  const auto interim_before = parser_.interim_responses();
  step = parser_.parse(buffered(), ec);
  if (ec) return ec;
  if (on_interim_ && parser_.interim_responses() != interim_before) on_interim_();
  // A body piece is a view into the buffer: it is consumed on the next call, once the caller is done.
  if (step.what == http_parser::event::body)
    piece_bytes_ = step.consumed;
  else
    begin_ += step.consumed;
  return {};
}

asio::awaitable<std::error_code> http_reader::next_event(http_parser::step& step, phase_bound bound) {
  for (;;) {
    if (auto ec = parse_buffered(step)) co_return ec;
    if (step.what != http_parser::event::need_more) co_return std::error_code{};
    if (auto read_error = co_await fill(bound)) co_return read_error;
  }
}

asio::awaitable<std::error_code> http_reader::read_head(phase_bound bound, bool no_body) {
  consume_piece();
  parser_.reset();
  parser_.expect_no_body(no_body);
  http_parser::step step;
  if (auto ec = co_await next_event(step, bound)) co_return ec;
  // The parser reports the head before anything else of a message.
  co_return std::error_code{};
}

bool http_reader::buffered_body_piece(std::string_view& piece, bool& done, std::error_code& ec) {
  piece = {};
  done = false;
  consume_piece();
  http_parser::step step;
  if ((ec = parse_buffered(step))) return true;
  if (step.what == http_parser::event::need_more) return false;
  if (step.what == http_parser::event::body) piece = step.body;
  done = step.what == http_parser::event::done;
  return true;
}

asio::awaitable<std::error_code> http_reader::read_body_piece(std::string_view& piece, bool& done,
                                                              phase_bound bound) {
  piece = {};
  done = false;
  consume_piece();
  http_parser::step step;
  if (auto ec = co_await next_event(step, bound)) co_return ec;
  if (step.what == http_parser::event::body) piece = step.body;
  done = step.what == http_parser::event::done;
  co_return std::error_code{};
}

asio::awaitable<std::error_code> http_reader::read_body(std::string& out, std::size_t limit,
                                                        phase_bound bound, std::size_t padding) {
  out.clear();
  if (parser_.body_framing() == http_parser::framing::content_length) {
    if (parser_.content_length() > limit) co_return make_error_code(engine_error::http_body_too_large);
    out.reserve(static_cast<std::size_t>(parser_.content_length()) + padding);
  }
  for (;;) {
    std::string_view piece;
    bool done = false;
    std::error_code ec;
    if (!buffered_body_piece(piece, done, ec)) ec = co_await read_body_piece(piece, done, bound);
    if (ec) co_return ec;
    if (done) break;
    if (out.size() + piece.size() > limit) co_return make_error_code(engine_error::http_body_too_large);
    out.append(piece);
  }
  if (out.capacity() < out.size() + padding) out.reserve(out.size() + padding);
  co_return std::error_code{};
}

asio::awaitable<std::error_code> http_reader::discard_body(phase_bound bound) {
  for (;;) {
    std::string_view piece;
    bool done = false;
    if (auto ec = co_await read_body_piece(piece, done, bound)) co_return ec;
    if (done) co_return std::error_code{};
  }
}

}  // namespace tsproxy
