#pragma once
// Lambda Function URL response payloads (docs/PROTOCOLS.md sections 2.2 and 2.3), written into a
// caller-owned buffer that a runtime loop reuses. All functions replace the contents of `out`.
//
// Header rules shared by every encoder below: names are lower-cased; `set-cookie` values go one per
// element into "cookies"; other repeated headers are joined with ", " in arrival order under the first
// occurrence's position; hop-by-hop headers (connection, keep-alive, transfer-encoding, te, trailer,
// upgrade, proxy-*, and any named by a connection token) and content-length are dropped, since Lambda
// frames the body itself. Header values that are not valid UTF-8 are written with bytes >= 0x80 as
// \u00XX (read as ISO-8859-1), the only way to keep the JSON valid.

#include <cstddef>
#include <string>
#include <string_view>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::lambda {

// Lambda's limit for a buffered (synchronous) response payload: 6 MB.
inline constexpr std::size_t max_buffered_payload_bytes = std::size_t{6} * 1024 * 1024;

// Encodes {"statusCode":..,"headers":{..},"cookies":[..],"body":"..","isBase64Encoded":..}.
// The body is written as a plain JSON string when it is valid UTF-8 and that form is not longer than its
// base64 form (bodies full of control characters escape to up to 6 bytes per byte); otherwise as base64
// with isBase64Encoded true. Either way Lambda delivers the exact body bytes.
// Returns false, with `out` unspecified, when the payload would exceed `limit` bytes; the size is
// computed before the body is written, so an oversized body costs one scan, not a copy.
// For the answer to a HEAD request (`head_request`) the target's Content-Length is kept: it tells the
// caller the size of what a GET would return, and no body follows.
bool encode_buffered_response(const response_head& head, std::string_view body, std::size_t limit,
                              std::string& out, bool head_request = false);

// A buffered response written while its body arrives (runtime/buffered_sink): the same members, body first:
//   {"body":"<base64>","isBase64Encoded":true,"statusCode":..,"headers":{..},"cookies":[..]}
// Status and headers come last so that, when the target fails mid-body, they can still be the proxy's
// error (status, ts-error-* headers) instead of the target's; the body is then what arrived.
inline constexpr std::string_view pipelined_opening = "{\"body\":\"";
// What follows the body's base64: the target's head, under the rules above.
void encode_pipelined_closing(const response_head& head, std::string& out);
// What follows it after a failure mid-body: the proxy's error status and ts-error-* headers, with the
// target's content-type (application/octet-stream when it sent none) and content-encoding, which still
// describe the part of its body that arrived.
void encode_pipelined_error_closing(const response_head& head, int status, std::string_view name,
                                    std::string_view message, std::string& out);
// An upper bound on encode_pipelined_error_closing's size beyond the target's own header values (its name
// and message are bounded).
inline constexpr std::size_t pipelined_error_closing_max = 2048;

// Encodes the streaming-mode prelude {"statusCode":..,"headers":{..},"cookies":[..]} followed by the 8 NUL
// bytes that separate it from the raw body bytes.
void encode_stream_prelude(const response_head& head, std::string& out, bool head_request = false);

// A proxy-made error as a buffered response: status `status`, headers content-type: application/json,
// ts-error-name: `name`, ts-error-message: sanitize_header_text(`message`), and body
// {"error":name,"message":message} (the full message, JSON-escaped).
void encode_error_response(int status, std::string_view name, std::string_view message, std::string& out);

// The same error for a streaming response: prelude, 8 NUL bytes, then the JSON body. Use it only before any
// byte of the stream was sent; later failures go into the HTTP trailers.
void encode_error_stream(int status, std::string_view name, std::string_view message, std::string& out);

// Makes text safe for a response header: printable ASCII only (other bytes, including CR, LF and
// non-ASCII, become '?', tabs become spaces), at most `max_bytes` bytes (512 for ts-error-message).
std::string sanitize_header_text(std::string_view text, std::size_t max_bytes = 512);

// The answer to a warmer invocation: {"success":true}.
std::string_view encode_warmer_response() noexcept;

}  // namespace tsproxy::lambda
