#pragma once
// Decodes what a function returned into the HTTP response a Function URL sends (docs/PROTOCOLS.md
// sections 2.2 and 2.3). Pure: no I/O.
//
// Buffered results: an object with "statusCode" is a structured response (statusCode, headers,
// cookies → one Set-Cookie each, body base64-decoded when isBase64Encoded, content-type defaulting to
// application/json); anything else is returned whole as a 200 application/json body.
// Streaming preludes: {"statusCode","headers","cookies"} with no body.
//
// Headers that frame the message (content-length, transfer-encoding, connection, ...) are dropped:
// the listener frames the response itself. Names or values that could not be sent are dropped too.

#include <string>
#include <string_view>
#include <vector>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::local {

struct http_result {
  int status = 200;
  std::vector<header_field> headers;
  std::string body;
  // The function's own Content-Length (digits only), kept aside: it frames nothing, but the answer to a
  // HEAD request carries it, as a Function URL passes it on.
  std::string declared_length;
};

// Returns false with a reason in `error` when the result cannot become a response (bad statusCode,
// invalid base64 body); the caller answers 502.
bool decode_buffered_result(std::string_view result, http_result& out, std::string& error);

// Returns false with a reason in `error` when the prelude is not such an object.
bool decode_stream_prelude(std::string_view prelude, http_result& out, std::string& error);

// Whether `name: value` may be written as a response header.
bool is_sendable_header(std::string_view name, std::string_view value) noexcept;

}  // namespace tsproxy::local
