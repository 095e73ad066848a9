#pragma once
// The one way tsproxy reads HTTP/1.1 messages from a byte stream: the pure http_parser driven
// through one bounded buffer, with the same rules everywhere.
//  - End of stream is handed to the parser, which decides: it completes a close-delimited body,
//    or is connection_closed (between messages) or http_truncated (inside one).
//  - A buffer that fills up before the parser can make progress is http_header_too_large (only a
//    head, a chunk-size line or a trailer section can be that long; the parser bounds each below the
//    buffer size).
//  - Every wait is bounded by the phase_bound the caller passes; a bound whose `until` is
//    time_point::max() sets no timer at all (the Runtime API's `next` long poll).
// Any stream works: the reader is given the stream's read-some operation (TCP, TLS, a unix socket).
// Bytes after a message stay buffered for the next one (pipelining, keep-alive).

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/http_parser.hpp"

namespace tsproxy {

// Reads at least one byte into the buffer and sets the count, or fails; a clean end of stream is
// asio::error::eof.
using read_some_operation =
    std::function<asio::awaitable<std::error_code>(asio::mutable_buffer, std::size_t&)>;

inline constexpr phase_bound unbounded{time_point::max(), engine_error::request_deadline};

class http_reader {
 public:
  // Room for a whole head at the limit plus one large read.
  static constexpr std::size_t read_chunk = 64 * 1024;

  http_reader(http_parser::kind kind, http_limits limits, read_some_operation read_some);

  // Reads up to the end of the next message's head. For a response, `no_body` says the request was
  // HEAD (so the response has no body whatever its headers say).
  asio::awaitable<std::error_code> read_head(phase_bound bound, bool no_body = false);

  // The next piece of the (de-chunked) body: a view into the buffer, valid until the next call.
  // `done` turns true once the message is complete (that call gives an empty piece).
  asio::awaitable<std::error_code> read_body_piece(std::string_view& piece, bool& done, phase_bound bound);

  // The next piece of the body as read_body_piece() gives it, when the bytes buffered already hold one (or
  // the end of the body, or a framing error in `ec`): true then. False when more bytes must be read first.
  // It never waits, so a caller that finds the piece here needs no coroutine frame nor timer for it.
  bool buffered_body_piece(std::string_view& piece, bool& done, std::error_code& ec);

  // The whole body into `out` (replacing its contents), http_body_too_large once it would exceed
  // `limit`; afterwards out.capacity() >= out.size() + `padding` (simdjson parses in place with
  // that much readable space after the bytes).
  asio::awaitable<std::error_code> read_body(std::string& out, std::size_t limit, phase_bound bound,
                                             std::size_t padding = 0);

  // Reads and drops the rest of the body.
  asio::awaitable<std::error_code> discard_body(phase_bound bound);

  // Called whenever an interim (1xx) response has been read while a head is awaited (the interim itself
  // is skipped); an empty function turns this off.
  void on_interim(std::function<void()> handler) { on_interim_ = std::move(handler); }

  const http_parser& parser() const noexcept { return parser_; }
  // Bytes received and not yet consumed (after a complete message: the start of the next one).
  std::string_view buffered() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  // Forgets buffered bytes and parser state (the connection was replaced).
  void clear() noexcept;

 private:
  // Parses what is buffered into the next event (need_more when it holds none) and consumes its bytes.
  std::error_code parse_buffered(http_parser::step& step);
  // Parses what is buffered; reads more until the parser reports something other than need_more.
  asio::awaitable<std::error_code> next_event(http_parser::step& step, phase_bound bound);
  asio::awaitable<std::error_code> fill(phase_bound bound);
  // The piece handed out last is consumed once the caller asks for anything else.
  void consume_piece() noexcept;

  http_parser parser_;
  read_some_operation read_some_;
  std::size_t capacity_;
  std::unique_ptr<char[]> data_;
  std::size_t begin_ = 0;  // unconsumed bytes are [begin_, end_)
  std::size_t end_ = 0;
  std::size_t piece_bytes_ = 0;  // buffered bytes of the piece handed out last
  std::function<void()> on_interim_;
};

}  // namespace tsproxy
