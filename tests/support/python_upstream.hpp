#pragma once
// tests/peers/misbehaving_upstream.py: an HTTP/1.1 origin that breaks the protocol on request (bad
// framing, resets, garbage, stalls). Endpoints are listed at the top of the script.
//
// The script binds port 0 itself and writes the port to a file once listening, so unlike the other
// peers there is no race for a free port. The interpreter is `python3` from PATH, or
// $TSPROXY_TEST_PYTHON.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

struct python_upstream_options {
  // When both are set, the same endpoints are also served over TLS with this certificate on tls_port().
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
};

class python_upstream {
 public:
  // Starts the script and returns once it accepts connections. Throws std::runtime_error with the
  // log tail if it does not start.
  python_upstream();
  explicit python_upstream(python_upstream_options options);

  std::string host() const { return loopback_ipv4; }
  std::uint16_t port() const noexcept { return port_; }
  std::uint16_t tls_port() const noexcept { return tls_port_; }  // 0 without a certificate
  std::string url(std::string_view target) const;                // "http://127.0.0.1:<port><target>"

  // TCP connections accepted so far, not counting the control connections these calls open (each asks
  // GET /__stats on a fresh connection, which the server leaves out of every count). A connection whose
  // connect() returned before this call is always counted.
  std::size_t accepted_connections() const;
  // Requests read so far (all connections, /__stats excluded).
  std::size_t requests_served() const;
  // /hold?key=K requests waiting now, and releasing them (and any later ones for K); control requests too.
  std::size_t held(std::string_view key) const;
  void release(std::string_view key) const;
  // TLS handshakes completed on tls_port(); /idle-then actions carried out (a close or unsolicited bytes).
  std::size_t tls_accepted() const;
  std::size_t idle_actions() const;

  const std::filesystem::path& script() const noexcept { return script_; }
  const child_process& process() const noexcept { return process_; }
  child_process& process() noexcept { return process_; }

 private:
  std::size_t stat(std::string_view target, std::string_view key) const;

  temp_dir dir_;  // declared first so the process stops before its files are deleted
  std::filesystem::path script_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  child_process process_;
};

}  // namespace tsproxy::test
