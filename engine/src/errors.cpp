#include "tsproxy/engine/errors.hpp"

#include <asio/error.hpp>
#include <asio/ssl/error.hpp>
#include <cerrno>

#include "tsproxy/engine/dns_message.hpp"

namespace tsproxy {

namespace {

struct error_info {
  std::string_view name;
  std::string_view message;
};

error_info info(engine_error e) noexcept {
  switch (e) {
    case engine_error::connect_timeout:
      return {"ConnectTimeout", "timed out connecting to the SOCKS5 listener"};
    case engine_error::socks5_timeout:
      return {"Socks5Timeout", "timed out in the SOCKS5 handshake"};
    case engine_error::tls_handshake_timeout:
      return {"TlsHandshakeTimeout", "timed out in the TLS handshake"};
    case engine_error::response_head_timeout:
      return {"ResponseHeadTimeout", "timed out waiting for the response headers"};
    case engine_error::body_idle_timeout:
      return {"BodyIdleTimeout", "the response body stalled longer than the idle timeout"};
    case engine_error::request_deadline:
      return {"RequestDeadline", "the request deadline passed"};
    case engine_error::socks5_general_failure:
      return {"Socks5GeneralFailure", "SOCKS5 general failure (is Tailscale up?)"};
    case engine_error::socks5_target_unreachable:
      return {"Socks5TargetUnreachable",
              "Tailscale could not reach the target (its SOCKS5 listener answers this for a refused port, an "
              "offline machine and an unknown name alike)"};
    case engine_error::socks5_not_allowed:
      return {"Socks5NotAllowed", "SOCKS5 connection not allowed by ruleset"};
    case engine_error::socks5_network_unreachable:
      return {"Socks5NetworkUnreachable", "SOCKS5 network unreachable"};
    case engine_error::socks5_host_unreachable:
      return {"Socks5HostUnreachable", "SOCKS5 host unreachable"};
    case engine_error::socks5_connection_refused:
      return {"Socks5ConnectionRefused", "the target refused the connection"};
    case engine_error::socks5_ttl_expired:
      return {"Socks5TtlExpired", "SOCKS5 TTL expired"};
    case engine_error::socks5_command_not_supported:
      return {"Socks5CommandNotSupported", "SOCKS5 command not supported"};
    case engine_error::socks5_address_type_not_supported:
      return {"Socks5AddressTypeNotSupported", "SOCKS5 address type not supported"};
    case engine_error::socks5_unknown_reply:
      return {"Socks5UnknownReply", "SOCKS5 server sent an unknown reply code"};
    case engine_error::socks5_bad_version:
      return {"Socks5BadVersion", "the SOCKS5 server answered with a wrong protocol version"};
    case engine_error::socks5_no_acceptable_method:
      return {"Socks5NoAcceptableMethod",
              "the SOCKS5 server accepted none of the offered authentication methods"};
    case engine_error::socks5_auth_failed:
      return {"Socks5AuthFailed", "SOCKS5 username/password authentication failed"};
    case engine_error::socks5_bad_address:
      return {"Socks5BadAddress", "the target address cannot be expressed in SOCKS5"};
    case engine_error::http_bad_status_line:
      return {"HttpBadStatusLine", "the upstream sent an invalid status line"};
    case engine_error::http_bad_header:
      return {"HttpBadHeader", "the upstream sent an invalid header field"};
    case engine_error::http_obs_fold:
      return {"HttpObsoleteLineFolding", "the upstream sent an obsolete folded header line"};
    case engine_error::http_header_too_large:
      return {"HttpHeaderTooLarge", "the upstream response head exceeds the size limit"};
    case engine_error::http_too_many_headers:
      return {"HttpTooManyHeaders", "the upstream response has more header fields than allowed"};
    case engine_error::http_bad_content_length:
      return {"HttpBadContentLength", "the upstream sent an invalid or conflicting Content-Length"};
    case engine_error::http_bad_transfer_encoding:
      return {"HttpBadTransferEncoding", "the upstream sent an unsupported Transfer-Encoding"};
    case engine_error::http_bad_chunk:
      return {"HttpBadChunk", "the upstream sent malformed chunked framing"};
    case engine_error::http_body_too_large:
      return {"HttpBodyTooLarge", "the upstream body exceeds the size limit"};
    case engine_error::http_truncated:
      return {"HttpTruncated", "the upstream closed the connection before the message was complete"};
    case engine_error::http_unsolicited_response:
      return {"HttpUnsolicitedResponse", "the upstream sent bytes that belong to no request"};
    case engine_error::http_unexpected_status:
      return {"HttpUnexpectedStatus", "the server answered the request with a failure status"};
    case engine_error::sink_rejected:
      return {"SinkRejected", "the response could not be delivered"};
    case engine_error::connection_closed:
      return {"ConnectionClosed", "the connection was closed"};
  }
  return {"EngineError", "unknown engine error"};
}

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tsproxy.engine"; }
  std::string message(int ev) const override {
    return std::string(info(static_cast<engine_error>(ev)).message);
  }
};

}  // namespace

const std::error_category& engine_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(engine_error e) noexcept {
  return {static_cast<int>(e), engine_category()};
}

bool is_timeout(std::error_code ec) noexcept {
  if (ec == dns_error::timeout) return true;
  if (ec.category() != engine_category()) return ec == asio::error::timed_out || ec == std::errc::timed_out;
  auto e = static_cast<engine_error>(ec.value());
  return e >= engine_error::connect_timeout && e <= engine_error::request_deadline;
}

bool is_socks5_error(std::error_code ec) noexcept {
  if (ec.category() != engine_category()) return false;
  auto e = static_cast<engine_error>(ec.value());
  return e >= engine_error::socks5_general_failure && e <= engine_error::socks5_bad_address;
}

std::string_view error_name(std::error_code ec) noexcept {
  if (ec.category() == engine_category()) return info(static_cast<engine_error>(ec.value())).name;
  if (ec.category() == dns_category()) return dns_error_name(static_cast<dns_error>(ec.value()));
  if (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated) {
    return "TlsError";
  }
  if (ec == asio::error::eof) return "ConnectionClosed";
  if (ec.category() == asio::error::get_system_category() || ec.category() == std::system_category() ||
      ec.category() == std::generic_category()) {
    switch (ec.value()) {
      case ECONNREFUSED:
        return "ConnectionRefused";
      case ECONNRESET:
        return "ConnectionReset";
      case EPIPE:
        return "BrokenPipe";
      case ETIMEDOUT:
        return "TimedOut";
      case ENETUNREACH:
      case EHOSTUNREACH:
        return "Unreachable";
      default:
        break;
    }
  }
  return "NetworkError";
}

}  // namespace tsproxy
