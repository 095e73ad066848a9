#include "http_exchange.hpp"

#include <array>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "tsproxy/engine/http_parser.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/http_writer.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

namespace {

// A request whose body is at most this many bytes goes into the socket buffers in one write that does not
// wait, and the response is read afterwards: the hot path costs nothing more. A larger body is written
// while the response head is read (see write_while_reading_head).
constexpr std::size_t watched_write_bytes = 64 * 1024;

// A body larger than this is announced with `Expect: 100-continue` and held back until the server asks for it
// (or `continue_pause` passed), as curl does for bodies over 1 MiB: a server refusing it answers from the
// head alone, before any of the body is on its way. Waiting matters because a relay that copies the body
// towards a target that has closed fails on that write and drops the answer it already holds (microsocks
// and dante do); tailscaled forwards it. A server that ignores Expect costs the pause once per request.
constexpr std::size_t expect_continue_bytes = 1024 * 1024;
constexpr std::chrono::milliseconds continue_pause{1000};

// The writer's wait for a 100 Continue: told by the reader, or over after continue_pause.
struct continue_wait {
  continue_wait(const asio::any_io_executor& executor, bool needed_) : needed(needed_), timer(executor) {}
  void go_on() {
    told = true;
    timer.cancel();
  }
  asio::awaitable<void> until_told() {
    if (told) co_return;
    timer.expires_after(continue_pause);
    co_await timer.async_wait(use_tuple);
  }
  bool needed;
  bool told = false;
  asio::steady_timer timer;
};

bool has_header(const std::vector<header_view>& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return true;
  }
  return false;
}

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
    const time_point sending = steady_clock::now();
    auto head_bound =
        bound_phase(deadline_, config_.timeouts.response_head, engine_error::response_head_timeout);
    if (auto ec = co_await connection_.stream->bounded(head_bound, send_request_and_read_head()))
      co_return fail(ec);
    outcome_.response_head = steady_clock::now() - sending;
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
    const bool watched = request_.body.size() > watched_write_bytes;
    // A caller's own Expect is kept (one is enough); the body waits for the answer to it all the same.
    const bool expect = watched && request_.body.size() > expect_continue_bytes;
    if (expect && !has_header(request_.headers, "expect"))
      head.insert(head.size() - 2, "Expect: 100-continue\r\n");  // before the empty line
    // A chunked request carries its whole body as one chunk, then the last chunk.
    std::string chunk_header;
    if (request_.chunked && !request_.body.empty()) append_chunk_header(chunk_header, request_.body.size());
    const std::string_view chunk_end =
        request_.chunked ? (request_.body.empty() ? last_chunk : "\r\n0\r\n\r\n") : std::string_view{};
    const std::array<asio::const_buffer, 4> pieces{asio::buffer(head), asio::buffer(chunk_header),
                                                   asio::buffer(request_.body.data(), request_.body.size()),
                                                   asio::buffer(chunk_end.data(), chunk_end.size())};
    const bool is_head = request_.method == "HEAD";
    // The head phase's bound covers this whole coroutine, so the reader sets no timer of its own.
    if (watched) co_return co_await write_while_reading_head(pieces, is_head, expect);
    if (auto write_error = co_await connection_.stream->write(pieces)) {
      // A server may answer before it has read the whole request (413 for a body too large, 414 for a
      // long URL) and close: that answer is what the caller must see, not the failed write.
      if (!peer_went_away(write_error)) co_return write_error;
      if (co_await reader_.read_head(unbounded, is_head)) co_return write_error;
      request_sent_whole_ = false;
      co_return std::error_code{};
    }
    co_return co_await reader_.read_head(unbounded, is_head);
  }

  // A large request is written while the response head is read, so a server's early answer (RFC 9112
  // 9.6: a client SHOULD monitor the connection for a response while it sends the body) is read as soon
  // as it arrives, not only after the write failed. With `expect_continue` the head goes first and the body
  // waits for the server's 100 Continue (continue_wait). A final head stops the write (the rest of the body
  // is unwanted, and the connection is out of step, so it is never reused); a write that fails because
  // the peer went away leaves the reader to find the answer that may be on its way. Both halves have
  // finished when this returns: `||` cancels the other one and waits for it.
  asio::awaitable<std::error_code> write_while_reading_head(std::span<const asio::const_buffer> pieces,
                                                            bool is_head, bool expect_continue) {
    using namespace asio::experimental::awaitable_operators;
    std::error_code write_error;
    bool written = false;
    continue_wait wait(co_await asio::this_coro::executor, expect_continue);
    if (expect_continue) reader_.on_interim([&wait] { wait.go_on(); });
    const auto result = co_await (reader_.read_head(unbounded, is_head) ||
                                  write_then_wait(pieces, wait, write_error, written));
    reader_.on_interim({});
    if (result.index() == 1) co_return write_error;  // a write error that is not the peer going away
    // After the peer went away the write's error names the failure, as on the one-write path; a write
    // still under way was cancelled, and its operation_aborted names nothing.
    if (const auto read_error = std::get<0>(result))
      co_return peer_went_away(write_error) ? write_error : read_error;
    request_sent_whole_ = written;
    co_return std::error_code{};
  }

  // Writes the request; then (or after the peer went away) waits until the reader cancels it. Ends by
  // itself only on a write error that no answer can follow.
  asio::awaitable<std::error_code> write_then_wait(std::span<const asio::const_buffer> pieces,
                                                   continue_wait& wait, std::error_code& write_error,
                                                   bool& written) {
    if (wait.needed) {
      // The head alone first; the body once the server asks for it, or after a pause (RFC 9110 10.1.1).
      write_error = co_await connection_.stream->write(pieces.first(1));
      if (!write_error) {
        co_await wait.until_told();
        // The reader's final head ends this coroutine by cancelling it: then the body is not wanted.
        if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none)
          co_return write_error;
        write_error = co_await connection_.stream->write(pieces.subspan(1));
      }
    } else {
      write_error = co_await connection_.stream->write(pieces);
    }
    written = !write_error;
    if (write_error && !peer_went_away(write_error)) co_return write_error;
    // The head phase's bound (around the whole exchange head) ends this wait if the reader never does.
    asio::steady_timer forever(co_await asio::this_coro::executor, time_point::max());
    co_await forever.async_wait(use_tuple);
    co_return write_error;
  }

  // Delivers the body piece by piece; each wait for bytes is bounded by the body idle timeout.
  asio::awaitable<std::error_code> read_body() {
    for (;;) {
      std::string_view piece;
      bool done = false;
      std::error_code ec;
      const auto idle_bound =
          bound_phase(deadline_, config_.timeouts.body_idle, engine_error::body_idle_timeout);
      // A piece already buffered waits for nothing: the bound only matters once it has passed.
      const bool in_time = steady_clock::now() < idle_bound.until;
      if (!in_time || !reader_.buffered_body_piece(piece, done, ec))
        ec =
            co_await connection_.stream->bounded(idle_bound, reader_.read_body_piece(piece, done, unbounded));
      if (ec) co_return ec;
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
