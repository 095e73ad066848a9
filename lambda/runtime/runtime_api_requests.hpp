#pragma once
// The requests a runtime sends to the Lambda Runtime API (2018-06-01, docs/PROTOCOLS.md section 3), as
// values: pure functions from the call's values to its bytes, tested without I/O. The client only
// moves these bytes. Payloads and body pieces are never copied into a head: they follow it as their
// own buffers in the same gather write.

#include <cstddef>
#include <string>
#include <string_view>

#include "common/api_request.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda::runtime_api {

inline constexpr std::string_view path_prefix = "/2018-06-01/runtime/";
inline constexpr std::string_view error_type_header = "Lambda-Runtime-Function-Error-Type";
inline constexpr std::string_view error_body_header = "Lambda-Runtime-Function-Error-Body";

// Lambda's request ids are UUIDs; anything that could leave the path segment is refused, so a
// malformed id can never shape the request line.
bool is_valid_request_id(std::string_view request_id) noexcept;

// GET invocation/next.
std::string next_request(const upstream_target& api);

// The head of POST invocation/{id}/response framed for `payload`, which follows it (not copied).
std::string response_head(const upstream_target& api, std::string_view request_id, std::string_view payload);

// POST invocation/{id}/error, a whole request (an error document is small, so it is built in place), with
// the error document and its type in Lambda-Runtime-Function-Error-Type.
request_bytes error_request(const upstream_target& api, std::string_view request_id,
                            std::string_view error_type, std::string_view message);

// POST init/error: the same document, for a failure before the first `next`.
request_bytes init_error_request(const upstream_target& api, std::string_view error_type,
                                 std::string_view message);

// The head of a buffered POST invocation/{id}/response whose payload is sent in chunks as it is produced
// (no response mode header: Lambda reads it as one payload), plus the first chunk's size line for
// `first_chunk_size` bytes; that chunk and "\r\n" follow it.
std::string chunked_response_head(const upstream_target& api, std::string_view request_id,
                                  std::size_t first_chunk_size);

// The head of a streamed POST invocation/{id}/response (chunked, the error trailers declared) plus the
// first chunk's size line for `prelude_size` bytes of prelude; the prelude and "\r\n" follow it.
std::string stream_head(const upstream_target& api, std::string_view request_id, std::size_t prelude_size);

// The size line of a chunk of `size` bytes (the chunk's bytes and "\r\n" follow it).
std::string chunk_head(std::size_t size);

// The last chunk with the declared error trailers: the stream's failure after it began.
std::string stream_failure_end(std::string_view error_type, std::string_view message);

}  // namespace tsproxy::lambda::runtime_api
