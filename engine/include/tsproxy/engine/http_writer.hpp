#pragma once
// HTTP/1.1 serialisation of message heads. Bodies are never copied: the caller writes the head
// and the body as two buffers in one gather write.

#include <string>
#include <string_view>

#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

// Request line, the caller's headers, then framing: Content-Length for a body (or for methods that
// carry one), and Host from `target` when the caller gave none. Framing and connection-level
// headers in `request.headers` are the caller's responsibility to have removed.
void append_request_head(std::string& out, const http_request& request, const upstream_target& target);

// Status line and headers as given, then CRLF. The caller includes its own framing headers.
void append_response_head(std::string& out, int status, std::string_view reason,
                          const std::vector<header_view>& headers);

// The standard reason phrase for a status code ("" when unknown).
std::string_view reason_phrase(int status) noexcept;

// Chunked transfer coding pieces.
void append_chunk_header(std::string& out, std::size_t size);
inline constexpr std::string_view last_chunk = "0\r\n\r\n";

}  // namespace tsproxy
