#pragma once
// microsocks (a small threaded SOCKS5 server) on 127.0.0.1, optionally requiring RFC 1929
// username/password authentication. Resolves domain names itself (SOCKS5 ATYP 3).

#include <cstdint>
#include <string>

#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

struct socks_credentials {
  std::string username;
  std::string password;
};

class microsocks_server {
 public:
  // Starts without authentication (method 0x00) and returns once the port accepts connections.
  // Throws std::runtime_error with the log tail if it does not start.
  microsocks_server();
  // Starts requiring username/password (method 0x02) with these credentials.
  explicit microsocks_server(socks_credentials credentials);

  std::string host() const { return loopback_ipv4; }
  std::uint16_t port() const noexcept { return port_; }
  const child_process& process() const noexcept { return process_; }
  child_process& process() noexcept { return process_; }

 private:
  temp_dir dir_;  // declared first so the process stops before its log is deleted
  std::uint16_t port_ = 0;
  child_process process_;
};

}  // namespace tsproxy::test
