#include "http_exchange.hpp"

#include <array>
#include <memory>

#include "tsproxy/engine/http_parser.hpp"
#include "tsproxy/engine/http_writer.hpp"

namespace tsproxy {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

// The bytes read from the connection and not yet consumed by the parser.
class read_buffer {
 public:
  explicit read_buffer(std::size_t capacity)
      : capacity_(capacity), data_(std::make_unique_for_overwrite<char[]>(capacity)) {}

  std::string_view unconsumed() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  void consume(std::size_t n) noexcept { begin_ += n; }

  // Room to read into, moving the unconsumed bytes to the front first. Empty when full.
  asio::mutable_buffer space() noexcept {
    if (begin_ == end_) begin_ = end_ = 0;
    if (end_ == capacity_ && begin_ > 0) {
      std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    return {data_.get() + end_, capacity_ - end_};
  }
  void commit(std::size_t n) noexcept { end_ += n; }

 private:
  std::size_t capacity_;
  std::unique_ptr<char[]> data_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

class http_exchange {
 public:
  http_exchange(pooled_connection& connection, const http_request& request, response_sink& sink,
                const engine_config& config, time_point deadline)
      : connection_(connection),
        request_(request),
        sink_(sink),
        config_(config),
        deadline_(deadline),
        parser_(http_parser::kind::response, config.http),
        buffer_(config.http.max_head_bytes + read_chunk) {
    parser_.expect_no_body(request.method == "HEAD");
  }

  asio::awaitable<exchange_outcome> run() {
    auto head_bound = bound_phase(deadline_, config_.timeouts.response_head, engine_error::response_head_timeout);
    if (auto ec = co_await within(head_bound, send_request_and_read_head())) co_return fail(ec);
    outcome_.head_delivered = true;
    if (auto ec = co_await sink_.on_head(parser_.response())) co_return fail(ec);
    if (auto ec = co_await read_body()) co_return fail(ec);
    if (auto ec = co_await sink_.on_complete(parser_.trailers())) co_return fail(ec);
    // Bytes after a complete response belong to no request: the connection is out of step.
    outcome_.reusable = parser_.keep_alive() && buffer_.unconsumed().empty();
    co_return outcome_;
  }

 private:
  exchange_outcome fail(std::error_code ec) {
    outcome_.error = ec;
    outcome_.reusable = false;
    outcome_.response_started = outcome_.response_started || parser_.started();
    return outcome_;
  }

  asio::awaitable<std::error_code> send_request_and_read_head() {
    std::string head;
    head.reserve(512);
    append_request_head(head, request_, connection_.target);
    // A chunked request carries its whole body as one chunk, then the last chunk.
    std::string chunk_header;
    if (request_.chunked && !request_.body.empty()) append_chunk_header(chunk_header, request_.body.size());
    const std::string_view chunk_end = request_.chunked ? (request_.body.empty() ? last_chunk : "\r\n0\r\n\r\n")
                                                        : std::string_view{};
    const std::array<asio::const_buffer, 4> pieces{
        asio::buffer(head), asio::buffer(chunk_header),
        asio::buffer(request_.body.data(), request_.body.size()), asio::buffer(chunk_end.data(), chunk_end.size())};
    if (auto ec = co_await connection_.stream->write(pieces)) co_return ec;
    for (;;) {
      std::error_code ec;
      const auto step = parser_.parse(buffer_.unconsumed(), ec);
      buffer_.consume(step.consumed);
      if (ec) co_return ec;
      if (step.what == http_parser::event::head) co_return std::error_code{};
      if (auto read_error = co_await read_more()) co_return read_error;
    }
  }

  // Delivers the body piece by piece; each read waits at most the body idle timeout.
  asio::awaitable<std::error_code> read_body() {
    for (;;) {
      std::error_code ec;
      const auto step = parser_.parse(buffer_.unconsumed(), ec);
      if (ec) co_return ec;
      switch (step.what) {
        case http_parser::event::done:
          buffer_.consume(step.consumed);
          co_return std::error_code{};
        case http_parser::event::body:
          if (auto sink_error = co_await sink_.on_body(step.body)) co_return sink_error;
          buffer_.consume(step.consumed);
          break;
        default: {
          buffer_.consume(step.consumed);
          auto idle_bound = bound_phase(deadline_, config_.timeouts.body_idle, engine_error::body_idle_timeout);
          if (auto read_error = co_await within(idle_bound, read_more())) co_return read_error;
        }
      }
    }
  }

  // Reads more bytes; end of stream is handed to the parser, which decides whether it ends the message.
  asio::awaitable<std::error_code> read_more() {
    const auto space = buffer_.space();
    if (space.size() == 0) co_return std::error_code(engine_error::http_header_too_large);
    std::size_t n = 0;
    auto ec = co_await connection_.stream->read_some(space, n);
    buffer_.commit(n);
    if (ec == asio::error::eof) {
      if (auto eof_error = parser_.finish_eof()) co_return eof_error;
      co_return std::error_code{};
    }
    co_return ec;
  }

  pooled_connection& connection_;
  const http_request& request_;
  response_sink& sink_;
  const engine_config& config_;
  time_point deadline_;
  http_parser parser_;
  read_buffer buffer_;
  exchange_outcome outcome_;
};

}  // namespace

asio::awaitable<exchange_outcome> run_http_exchange(pooled_connection& connection, const http_request& request,
                                                    response_sink& sink, const engine_config& config,
                                                    time_point deadline) {
  http_exchange exchange(connection, request, sink, config, deadline);
  co_return co_await exchange.run();
}

}  // namespace tsproxy
