#pragma once
// tests/peers/tailscaled_standin.py: tailscaled's SOCKS5 listener and LocalAPI as they answer (0x01 for
// every dial failure, and for everything while the backend is not Running; BackendState on the LocalAPI's
// unix socket). Tests switch the state and count CONNECTs through a control socket of its own.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

struct tailscaled_options {
  std::string state = "Running";  // the initial BackendState
  bool localapi = true;           // serve the LocalAPI socket (control requests need it too)
  // "name=ip,...": what the host's DNS answers for public names (TSPROXY_STANDIN_DNS), which both the
  // SOCKS5 dialer and the LocalAPI's dns-query resolve.
  std::string dns;
  // "name=ip,...": the tailnet's peers (TSPROXY_STANDIN_PEERS). Once Running, a CONNECT to a peer's
  // address reaches the same port on loopback, as tailscaled reaches a peer through the tailnet.
  std::string peers;
  // "name,...": peers among `peers` that are offline: not connected to the control plane, never answering
  // a ping, and not reached by a CONNECT (TSPROXY_STANDIN_OFFLINE_PEERS).
  std::string offline_peers;
  // Before Running a tailnet address is dialled over the host's network and fails after 5 s, as with
  // tailscaled; tests shorten the wait (TSPROXY_STANDIN_UNROUTED_DIAL_MS).
  int unrouted_dial_ms = 5000;
  // LocalAPI requests are held this long after start, as tailscaled holds them until its backend exists.
  int backend_delay_ms = 0;
};

class tailscaled_standin {
 public:
  explicit tailscaled_standin(tailscaled_options options = {});

  std::string socks_address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::uint16_t port() const noexcept { return port_; }
  // The LocalAPI socket path (exists only with options.localapi).
  const std::filesystem::path& socket_path() const noexcept { return socket_; }

  void set_state(std::string_view backend_state) const;
  // CONNECT requests seen: all, answered 0x01, and for one "host:port".
  std::size_t connects() const;
  std::size_t failures() const;
  std::size_t connects_to(std::string_view host_port) const;

 private:
  std::string control(std::string_view method, std::string_view target) const;

  temp_dir dir_;
  std::filesystem::path socket_;
  std::uint16_t port_ = 0;
  child_process process_;
};

}  // namespace tsproxy::test
