#include "tsproxy/engine/socks5_codec.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "tsproxy/engine/errors.hpp"

namespace tsproxy::socks5 {

namespace {

enum address_type : std::uint8_t { ipv4 = 0x01, domain = 0x03, ipv6 = 0x04 };

std::uint8_t byte_at(std::string_view in, std::size_t i) {
  return static_cast<std::uint8_t>(in[i]);
}

void append_port(std::string& out, std::uint16_t port) {
  out.push_back(static_cast<char>(port >> 8));
  out.push_back(static_cast<char>(port & 0xff));
}

}  // namespace

void append_greeting(std::string& out, bool offer_password) {
  out.push_back(static_cast<char>(version));
  if (offer_password) {
    out.push_back(2);
    out.push_back(static_cast<char>(method::none));
    out.push_back(static_cast<char>(method::username_password));
  } else {
    out.push_back(1);
    out.push_back(static_cast<char>(method::none));
  }
}

std::error_code append_password_auth(std::string& out, std::string_view username, std::string_view password) {
  if (username.empty() || username.size() > 255 || password.size() > 255)
    return engine_error::socks5_bad_address;
  out.push_back(0x01);  // sub-negotiation version
  out.push_back(static_cast<char>(username.size()));
  out.append(username);
  out.push_back(static_cast<char>(password.size()));
  out.append(password);
  return {};
}

std::error_code append_connect(std::string& out, std::string_view host, std::uint16_t port) {
  std::array<unsigned char, 16> addr{};
  // Validate before appending anything; a NUL would cut the name short for inet_pton.
  if (host.empty() || host.size() > 255 || host.find('\0') != std::string_view::npos) {
    return engine_error::socks5_bad_address;
  }
  const std::string host_z(host);
  out.push_back(static_cast<char>(version));
  out.push_back(0x01);  // CONNECT
  out.push_back(0x00);  // reserved
  if (inet_pton(AF_INET, host_z.c_str(), addr.data()) == 1) {
    out.push_back(static_cast<char>(ipv4));
    out.append(reinterpret_cast<const char*>(addr.data()), 4);
  } else if (inet_pton(AF_INET6, host_z.c_str(), addr.data()) == 1) {
    out.push_back(static_cast<char>(ipv6));
    out.append(reinterpret_cast<const char*>(addr.data()), 16);
  } else {
    out.push_back(static_cast<char>(domain));
    out.push_back(static_cast<char>(host.size()));
    out.append(host);
  }
  append_port(out, port);
  return {};
}

parse_result parse_method_selection(std::string_view in, method& chosen) {
  if (in.size() < 2) return {};
  if (byte_at(in, 0) != version) return {0, engine_error::socks5_bad_version};
  chosen = static_cast<method>(byte_at(in, 1));
  if (chosen != method::none && chosen != method::username_password) {
    return {0, engine_error::socks5_no_acceptable_method};
  }
  return {2, {}};
}

parse_result parse_password_auth_reply(std::string_view in) {
  if (in.size() < 2) return {};
  if (byte_at(in, 0) != 0x01) return {0, engine_error::socks5_bad_version};
  if (byte_at(in, 1) != 0x00) return {0, engine_error::socks5_auth_failed};
  return {2, {}};
}

parse_result parse_connect_reply(std::string_view in) {
  // VER REP RSV ATYP BND.ADDR BND.PORT
  if (in.size() >= 1 && byte_at(in, 0) != version) return {0, engine_error::socks5_bad_version};
  if (in.size() >= 2 && byte_at(in, 1) != 0x00) return {0, reply_code_error(byte_at(in, 1))};
  if (in.size() < 5) return {};
  std::size_t address_length = 0;
  switch (byte_at(in, 3)) {
    case ipv4:
      address_length = 4;
      break;
    case ipv6:
      address_length = 16;
      break;
    case domain:
      address_length = 1 + std::size_t{byte_at(in, 4)};
      break;
    default:
      return {0, engine_error::socks5_address_type_not_supported};
  }
  const std::size_t total = 4 + address_length + 2;
  if (in.size() < total) return {};
  return {total, {}};
}

asio::ip::address connect_reply_bound_address(std::string_view reply) {
  if (reply.size() >= 4 + 4 && byte_at(reply, 3) == ipv4) {
    asio::ip::address_v4::bytes_type bytes{};
    std::memcpy(bytes.data(), reply.data() + 4, bytes.size());
    return asio::ip::address_v4(bytes);
  }
  if (reply.size() >= 4 + 16 && byte_at(reply, 3) == ipv6) {
    asio::ip::address_v6::bytes_type bytes{};
    std::memcpy(bytes.data(), reply.data() + 4, bytes.size());
    return asio::ip::address_v6(bytes);
  }
  return {};
}

std::error_code reply_code_error(std::uint8_t code) noexcept {
  switch (code) {
    case 0x00:
      return {};
    case 0x01:
      return engine_error::socks5_general_failure;
    case 0x02:
      return engine_error::socks5_not_allowed;
    case 0x03:
      return engine_error::socks5_network_unreachable;
    case 0x04:
      return engine_error::socks5_host_unreachable;
    case 0x05:
      return engine_error::socks5_connection_refused;
    case 0x06:
      return engine_error::socks5_ttl_expired;
    case 0x07:
      return engine_error::socks5_command_not_supported;
    case 0x08:
      return engine_error::socks5_address_type_not_supported;
    default:
      return engine_error::socks5_unknown_reply;
  }
}

}  // namespace tsproxy::socks5
