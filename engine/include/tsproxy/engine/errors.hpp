#pragma once
// Named failures of the engine. Expected failures travel as std::error_code, never as exceptions.

#include <string_view>
#include <system_error>

namespace tsproxy {

enum class engine_error {
  // Deadlines (each wait is bounded; these name the phase that ran out).
  connect_timeout = 1,
  socks5_timeout,
  tls_handshake_timeout,
  response_head_timeout,
  body_idle_timeout,
  request_deadline,
  // SOCKS5 (RFC 1928 reply codes 0x01..0x08, then protocol problems).
  socks5_general_failure,
  socks5_target_unreachable,  // 0x01 from a listener known to be up: it could not dial the target
  socks5_not_allowed,
  socks5_network_unreachable,
  socks5_host_unreachable,
  socks5_connection_refused,
  socks5_ttl_expired,
  socks5_command_not_supported,
  socks5_address_type_not_supported,
  socks5_unknown_reply,
  socks5_bad_version,
  socks5_no_acceptable_method,
  socks5_auth_failed,
  socks5_bad_address,
  // HTTP/1.1 response framing.
  http_bad_status_line,
  http_bad_header,
  http_obs_fold,
  http_header_too_large,
  http_too_many_headers,
  http_bad_content_length,
  http_bad_transfer_encoding,
  http_bad_chunk,
  http_body_too_large,
  http_truncated,
  http_unsolicited_response,
  http_unexpected_status,  // a well-formed answer whose status means the request failed
  // The caller's sink refused more data (for example a buffered response over its limit).
  sink_rejected,
  // Everything else.
  connection_closed,
};

const std::error_category& engine_category() noexcept;
std::error_code make_error_code(engine_error e) noexcept;

// Broad classes used to pick a caller-facing status code.
bool is_timeout(std::error_code ec) noexcept;
bool is_socks5_error(std::error_code ec) noexcept;

// A stable PascalCase name for an error code, for `ts-error-name` headers and logs.
std::string_view error_name(std::error_code ec) noexcept;

}  // namespace tsproxy

template <>
struct std::is_error_code_enum<tsproxy::engine_error> : std::true_type {};
