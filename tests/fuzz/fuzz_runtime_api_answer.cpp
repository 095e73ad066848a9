// The Runtime API's answer to `next`, read as the runtime reads it: http_reader over the bytes cut into
// reads (the first two input bytes choose the read size), the invocation's identity from its headers,
// then the event body parsed in place. Every outcome is either an invocation or a named error.
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "adapter/function_url_event.hpp"
#include "fuzz_input.hpp"
#include "runtime/runtime_api_client.hpp"
#include "runtime/runtime_api_requests.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_reader.hpp"

namespace {

using tsproxy::fuzz::require;
namespace lambda = tsproxy::lambda;

asio::awaitable<void> read_next_answer(std::string_view bytes, std::size_t read_size, bool& finished) {
  std::size_t at = 0;
  tsproxy::http_reader reader(
      tsproxy::http_parser::kind::response, tsproxy::http_limits{},
      [&](asio::mutable_buffer into, std::size_t& n) -> asio::awaitable<std::error_code> {
        if (at == bytes.size()) co_return asio::error::eof;
        n = std::min({into.size(), read_size, bytes.size() - at});
        std::memcpy(into.data(), bytes.data() + at, n);
        at += n;
        co_return std::error_code{};
      });
  lambda::invocation next;
  auto ec = co_await reader.read_head(tsproxy::unbounded);
  if (!ec)
    ec = co_await reader.read_body(next.event, lambda::runtime_api_client::max_event_bytes,
                                   tsproxy::unbounded, lambda::runtime_api_client::event_padding);
  if (ec) {
    require(!tsproxy::error_name(ec).empty(), "a failed read has no error name");
  } else if (reader.parser().response().status == 200 &&
             !lambda::read_invocation_headers(reader.parser().response().headers, next)) {
    require(lambda::runtime_api::is_valid_request_id(next.request_id), "an invalid request id was accepted");
    require(next.event.capacity() >= next.event.size() + lambda::runtime_api_client::event_padding,
            "the event lacks simdjson's padding");
    static lambda::event_parser parser;
    lambda::function_url_request request;
    (void)parser.parse_padded(next.event, next.event.capacity(), request);
  }
  finished = true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t read_size = 1 + ((data[0] << 8) | data[1]) % 4096;
  static asio::io_context io;  // one for the whole run, as the runtime keeps one
  bool finished = false;
  asio::co_spawn(io, read_next_answer(tsproxy::fuzz::as_text(data + 2, size - 2), read_size, finished),
                 asio::detached);
  io.restart();
  io.run();
  require(finished, "the read did not finish on bytes that were all there");
  return 0;
}
