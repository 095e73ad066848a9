#include "tsproxy/engine/upstream_target.hpp"

#include <arpa/inet.h>

namespace tsproxy {

bool is_ip_literal(const std::string& host) noexcept {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
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
