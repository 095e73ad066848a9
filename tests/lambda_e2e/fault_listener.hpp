#pragma once
// A TCP listener on 127.0.0.1 whose behaviour a test switches at run time, to put a fault between the
// runtime and its SOCKS5 listener (or to be a target that never speaks): in `relay` mode it forwards every
// connection to a real SOCKS5 server, so the same address works again once the fault is over.
//
// Plain POSIX sockets and threads, so a test controls it directly, with no process in between.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/net.hpp"

namespace tsproxy::test {

class fault_listener {
 public:
  enum class mode {
    relay,                // forward each connection to relay_port (both directions, half-closes too)
    hang,                 // accept and never read or answer; hold the connection until the client closes it
    hang_after_greeting,  // answer a SOCKS5 greeting with "no authentication", then never answer again
    close_at_once,        // accept and reset the connection at once
    garbage,              // answer whatever arrives with bytes that are no SOCKS5 reply
    backlog_full,  // stop accepting with a full accept queue: the kernel drops new SYNs (connect hangs)
    down,          // not listening at all: connections are refused
  };

  // relay_port: where relay mode forwards to on 127.0.0.1 (0: relay mode holds connections like hang).
  explicit fault_listener(std::uint16_t relay_port = 0, mode initial = mode::relay);
  ~fault_listener();
  fault_listener(const fault_listener&) = delete;
  fault_listener& operator=(const fault_listener&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string address() const { return std::string(loopback_ipv4) + ":" + std::to_string(port_); }

  // Switches the mode for connections accepted from now on (connections already held stay held). Returns
  // once the new mode is in force: for backlog_full, once the accept queue is full; for down, once the port
  // refuses; leaving down, once it listens again on the same port.
  void set_mode(mode m);
  // Connections accepted so far, and the ones held open now (hang modes).
  std::size_t accepted() const noexcept { return accepted_.load(); }
  std::size_t held() const;

 private:
  void open_listener(int backlog);
  void accept_loop();
  void serve(int fd, mode m);
  void relay(int client);
  void hold(int fd);
  void wake();

  std::uint16_t relay_port_;
  std::uint16_t port_ = 0;
  unique_fd listener_;
  unique_fd wake_;    // an eventfd that interrupts the accept loop's poll
  unique_fd filler_;  // the connection that fills the accept queue in backlog_full mode
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  mode mode_;
  bool polling_paused_ = false;  // asked by set_mode: the accept loop parks ...
  bool loop_parked_ = false;     // ... and says so, until the new mode is in force
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::vector<int> open_;  // every connection fd this object owns, so the destructor can end their threads
  std::vector<int> held_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace tsproxy::test
