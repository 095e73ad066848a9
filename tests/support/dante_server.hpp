#pragma once
// Dante (danted 1.4), a full SOCKS5 server, on 127.0.0.1 with no authentication. A second, independent
// SOCKS implementation next to microsocks, and the one that can refuse destinations by rule.
//
// SOCKS5 reply codes dante 1.4.2 sends, observed with a raw-socket probe (see support_selftest):
//   destination port listed in dante_options::blocked_ports   -> 0x02 (not allowed by ruleset)
//   destination reachable but nothing listening (RST)          -> 0x05 (connection refused)
// In both cases dante closes the connection after the reply (after 0x05 with an RST).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

struct dante_options {
  // CONNECTs to these destination ports (any address, IPv4, IPv6 or domain name) are refused by a
  // `socks block` rule.
  std::vector<std::uint16_t> blocked_ports;
};

class dante_server {
 public:
  static constexpr std::uint8_t reply_blocked_by_rule = 0x02;
  static constexpr std::uint8_t reply_connection_refused = 0x05;

  // Starts danted in the foreground (one negotiate process set, `-N 1`) and returns once its port
  // accepts connections. Throws std::runtime_error with the log tail if it does not start.
  explicit dante_server(dante_options options = {});

  std::string host() const { return loopback_ipv4; }
  std::uint16_t port() const noexcept { return port_; }
  const std::filesystem::path& config_file() const noexcept { return config_file_; }
  // danted's own log (logoutput) and its stdout/stderr, in one file.
  const std::filesystem::path& log_file() const noexcept { return log_file_; }
  const child_process& process() const noexcept { return process_; }
  child_process& process() noexcept { return process_; }

 private:
  temp_dir dir_;  // declared first so the process stops before its files are deleted
  std::filesystem::path config_file_;
  std::filesystem::path log_file_;
  std::uint16_t port_ = 0;
  child_process process_;
};

}  // namespace tsproxy::test
