#pragma once
// Plain HTTP/1.1 message types shared by the codec, the client and its callers.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tsproxy {

// A header whose storage lives elsewhere (the caller's event buffer, a literal).
struct header_view {
  std::string_view name;
  std::string_view value;
};

// A header that owns its bytes (parsed from a socket buffer that is reused).
struct header_field {
  std::string name;
  std::string value;
};

// An outgoing request. Every view must outlive the exchange that sends it (retries replay it).
struct http_request {
  std::string_view method;           // e.g. "GET"
  std::string target;                // origin-form: path plus optional "?query"
  std::vector<header_view> headers;  // end-to-end headers; no framing headers (the client adds them)
  std::string_view body;             // sent with Content-Length when non-empty or the method expects one
  bool chunked = false;              // the body follows later in chunks (Transfer-Encoding: chunked)
};

// The final (non-1xx) response head as the upstream sent it.
struct response_head {
  int version_minor = 1;  // HTTP/1.<minor>
  int status = 0;
  std::string reason;
  std::vector<header_field> headers;  // in arrival order, names as sent
  // The body's exact length when the head tells it (Content-Length, or no body at all); unknown for a
  // chunked or close-delimited body.
  std::optional<std::uint64_t> body_length;
};

// A request head as a server reads it (used by the local Lambda emulator).
struct request_head {
  std::string method;
  std::string target;
  int version_minor = 1;
  std::vector<header_field> headers;
};

// First value of header `name` (case-insensitive), or an empty view.
std::string_view find_header(const std::vector<header_field>& headers, std::string_view name) noexcept;

// Case-insensitive ASCII comparison, as header names require.
bool iequals(std::string_view a, std::string_view b) noexcept;

// Methods that RFC 9110 defines as idempotent, so a request may be replayed on a fresh connection.
bool is_idempotent_method(std::string_view method) noexcept;

}  // namespace tsproxy
