#pragma once
// Response streaming (docs/PROTOCOLS.md section 2.3): the runtime's chunked POST is read piece by piece and
// each piece handed to the Function URL connection as a chunk as soon as it arrives. One piece waits
// at most, so memory per stream stays bounded whatever the body size.

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "invocation.hpp"
#include "server_connection.hpp"

namespace tsproxy::local {

inline constexpr std::string_view http_integration_content_type =
    "application/vnd.awslambda.http-integration-response";

struct stream_limits {
  std::size_t max_prelude_bytes = 64 * 1024;
  std::uint64_t max_body_bytes = 200ull * 1024 * 1024;
  std::chrono::milliseconds grace{1'000};  // past the function's deadline the runtime side gives up too
};

// Runtime side: reads the rest of a streamed /response POST on `runtime` and feeds `inv`. Sets
// inv.end (complete, or failed from the error trailers or a broken POST) and inv.handoff_ms. An
// error return means the POST was cut: close the connection without answering.
asio::awaitable<std::error_code> receive_streamed_result(server_connection& runtime, invocation& inv,
                                                         const stream_limits& limits);

enum class stream_outcome { complete, function_error, timed_out, client_failed };

// Function URL side: sends the head and relays the pieces as chunks until the stream ends. A failed
// or timed-out stream is cut without the last chunk, so the caller sees a truncated body. A response
// that has no body (to a HEAD request, or 204 / 304) gets its head alone — not chunked, the HEAD
// answer with the function's Content-Length — and whatever the function streams is dropped.
asio::awaitable<stream_outcome> send_streamed_response(server_connection& client, invocation& inv,
                                                       std::vector<header_view> extra_headers,
                                                       bool keep_alive, bool head_request);

}  // namespace tsproxy::local
