#pragma once
// SOCKS5 (RFC 1928) and username/password authentication (RFC 1929) as pure byte codecs.
// Builders append to a buffer; parsers take whatever bytes have arrived and either need more,
// finish (reporting how many bytes they consumed) or fail with a named engine_error.

#include <asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace tsproxy::socks5 {

inline constexpr std::uint8_t version = 0x05;

enum class method : std::uint8_t { none = 0x00, username_password = 0x02, no_acceptable = 0xff };

// Outcome of feeding bytes to a parser: `consumed == 0 && !error` means "need more bytes".
struct parse_result {
  std::size_t consumed = 0;
  std::error_code error;
  bool need_more() const noexcept { return consumed == 0 && !error; }
};

// Greeting offering "no authentication", plus username/password when `offer_password`.
void append_greeting(std::string& out, bool offer_password);

// RFC 1929 sub-negotiation. Fails with socks5_bad_address when a field exceeds 255 bytes.
std::error_code append_password_auth(std::string& out, std::string_view username, std::string_view password);

// CONNECT to an IPv4/IPv6 literal (sent as such) or a domain name (sent as ATYP 0x03 so the
// server resolves it). Fails with socks5_bad_address for empty or over-long names.
std::error_code append_connect(std::string& out, std::string_view host, std::uint16_t port);

// The server's method choice (2 bytes).
parse_result parse_method_selection(std::string_view in, method& chosen);

// The RFC 1929 status reply (2 bytes); a non-zero status is socks5_auth_failed.
parse_result parse_password_auth_reply(std::string_view in);

// The CONNECT reply (variable length). Reply codes map to named errors.
parse_result parse_connect_reply(std::string_view in);

// The bound address (BND.ADDR) of a whole successful CONNECT reply: for tailscaled, the local address of
// its outgoing connection. Unspecified for a domain-name address or a reply too short to hold one.
asio::ip::address connect_reply_bound_address(std::string_view reply);

// The engine_error for a SOCKS5 reply code (0x00 maps to success).
std::error_code reply_code_error(std::uint8_t code) noexcept;

}  // namespace tsproxy::socks5
