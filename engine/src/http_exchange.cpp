#include "http_exchange.hpp"

#include <array>

#include "tsproxy/engine/http_parser.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/http_writer.hpp"

namespace tsproxy {

namespace {

// A write failed because the peer is gone, not because of us: it may have answered first.
bool peer_went_away(std::error_code ec) noexcept {
  return ec == asio::error::broken_pipe || ec == asio::error::connection_reset || ec == asio::error::eof ||
         ec == engine_error::connection_closed;
}

class http_exchange {
 public:
  http_exchange(pooled_connection& connection, const http_request& request, response_sink& sink,
                const engine_config& config, time_point deadline)
      : connection_(connection),
        request_(request),
        sink_(sink),
        config_(config),
        deadline_(deadline),
        reader_(http_parser::kind::response, config.http,
                [stream = connection.stream.get()](auto buffer, auto& n) {
                  return stream->read_some(buffer, n);
                }) {}

  asio::awaitable<exchange_outcome> run() {
    auto head_bound =
        bound_phase(deadline_, config_.timeouts.response_head, engine_error::response_head_timeout);
    if (auto ec = co_await within(head_bound, send_request_and_read_head())) co_return fail(ec);
    outcome_.head_delivered = true;
    if (auto ec = co_await sink_.on_head(reader_.parser().response())) co_return fail(ec);
    if (auto ec = co_await read_body()) co_return fail(ec);
    if (auto ec = co_await sink_.on_complete(reader_.parser().trailers())) co_return fail(ec);
    // Bytes after a complete response belong to no request: the connection is out of step. So is one
    // whose request was cut short by the server's early answer.
    outcome_.reusable = reader_.parser().keep_alive() && reader_.buffered().empty() && request_sent_whole_;
    co_return outcome_;
  }

 private:
  exchange_outcome fail(std::error_code ec) {
    outcome_.error = ec;
    outcome_.reusable = false;
    outcome_.response_started = outcome_.response_started || reader_.parser().started();
    return outcome_;
  }

  asio::awaitable<std::error_code> send_request_and_read_head() {
    std::string head;
    head.reserve(512);
    append_request_head(head, request_, connection_.target);
    // A chunked request carries its whole body as one chunk, then the last chunk.
    std::string chunk_header;
    if (request_.chunked && !request_.body.empty()) append_chunk_header(chunk_header, request_.body.size());
    const std::string_view chunk_end =
        request_.chunked ? (request_.body.empty() ? last_chunk : "\r\n0\r\n\r\n") : std::string_view{};
    const std::array<asio::const_buffer, 4> pieces{asio::buffer(head), asio::buffer(chunk_header),
                                                   asio::buffer(request_.body.data(), request_.body.size()),
                                                   asio::buffer(chunk_end.data(), chunk_end.size())};
    const bool is_head = request_.method == "HEAD";
    if (auto write_error = co_await connection_.stream->write(pieces)) {
      // A server may answer before it has read the whole request (413 for a body too large, 414 for a
      // long URL) and close: that answer is what the caller must see, not the failed write.
      if (!peer_went_away(write_error)) co_return write_error;
      if (co_await reader_.read_head(unbounded, is_head)) co_return write_error;
      request_sent_whole_ = false;
      co_return std::error_code{};
    }
    // The head phase's bound covers this whole coroutine, so the reader sets no timer of its own.
    co_return co_await reader_.read_head(unbounded, is_head);
  }

  // Delivers the body piece by piece; each wait for bytes is bounded by the body idle timeout.
  asio::awaitable<std::error_code> read_body() {
    for (;;) {
      std::string_view piece;
      bool done = false;
      auto idle_bound = bound_phase(deadline_, config_.timeouts.body_idle, engine_error::body_idle_timeout);
      if (auto ec = co_await reader_.read_body_piece(piece, done, idle_bound)) co_return ec;
      if (done) co_return std::error_code{};
      if (auto sink_error = co_await sink_.on_body(piece)) co_return sink_error;
    }
  }

  pooled_connection& connection_;
  const http_request& request_;
  response_sink& sink_;
  const engine_config& config_;
  time_point deadline_;
  http_reader reader_;
  bool request_sent_whole_ = true;
  exchange_outcome outcome_;
};

}  // namespace

asio::awaitable<exchange_outcome> run_http_exchange(pooled_connection& connection,
                                                    const http_request& request, response_sink& sink,
                                                    const engine_config& config, time_point deadline) {
  http_exchange exchange(connection, request, sink, config, deadline);
  co_return co_await exchange.run();
}

}  // namespace tsproxy
