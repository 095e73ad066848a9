#include "tsproxy/engine/upstream_target.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <iterator>

namespace tsproxy {

bool is_ip_literal(const std::string& host) noexcept {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

bool is_tailnet_address(const std::string& host) noexcept {
  unsigned char v4[sizeof(in_addr)];
  if (inet_pton(AF_INET, host.c_str(), v4) == 1) return v4[0] == 100 && (v4[1] & 0xc0) == 64;
  unsigned char v6[sizeof(in6_addr)];
  constexpr unsigned char ula[] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
  return inet_pton(AF_INET6, host.c_str(), v6) == 1 && std::equal(std::begin(ula), std::end(ula), v6);
}

std::string upstream_target::describe() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = tls ? "https://" : "http://";
  if (v6) out.push_back('[');
  out += host;
  if (v6) out.push_back(']');
  out += ':';
  out += std::to_string(port);
  return out;
}

}  // namespace tsproxy
