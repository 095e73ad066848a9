#pragma once
// Loopback networking helpers for tests: ports, descriptor counting and a blocking HTTP/1.1 GET used to
// talk to peers directly (never through the code under test).

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tsproxy::test {

// Peers listen here only; tests never use any other address (besides ::1).
inline constexpr const char* loopback_ipv4 = "127.0.0.1";

// Owns one file descriptor.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  ~unique_fd() { reset(); }
  unique_fd(unique_fd&& other) noexcept : fd_(other.release()) {}
  unique_fd& operator=(unique_fd&& other) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// A port that was free on 127.0.0.1 a moment ago, chosen at random below the kernel's ephemeral range
// (so no outgoing connection takes it meanwhile). Another test may still pick it before the caller
// binds it; servers started on it should use retry_start().
std::uint16_t free_tcp_port();

// Open descriptors of this process (entries of /proc/self/fd, not counting the one used to list it).
// For leak checks: compare before and after, once every connection under test is closed.
std::size_t count_open_fds();

// TCP sockets open in this process whose connection has received the peer's FIN and is not yet
// closed here (CLOSE_WAIT, from /proc/net/tcp and tcp6 matched to /proc/self/fd). A test waits on
// it to know that a server's close of an idle connection has reached the client's kernel.
std::size_t count_own_sockets_in_close_wait();

// One TCP socket of a process, from /proc/net/tcp and tcp6 matched to /proc/PID/fd.
struct tcp_socket_info {
  static constexpr int established = 0x01;  // the kernel's TCP_ESTABLISHED
  static constexpr int close_wait = 0x08;   // the peer's FIN arrived, not yet closed here
  int state = 0;
  std::size_t rx_queue = 0;  // bytes received and not yet read by the process
  std::uint16_t local_port = 0;
  std::uint16_t remote_port = 0;
};
// The TCP sockets process `pid` holds (0: this process). Lets a test wait until a server's close or its
// unsolicited bytes have reached the process under test, without reading them.
std::vector<tcp_socket_info> tcp_sockets_of(pid_t pid);

// Whether ::1 can be bound here, so IPv6 tests can be skipped on hosts without it.
bool ipv6_loopback_available();

// Blocking TCP connect to a numeric host ("127.0.0.1" or "::1") with a deadline. On failure returns an
// empty unique_fd and sets ec (std::errc::timed_out on timeout). The descriptor is blocking, CLOEXEC.
unique_fd connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                      std::error_code& ec);

struct http_response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as received
  std::string body;                                          // de-chunked

  // The first value of a header (case-insensitive name), or "" if absent.
  std::string header(std::string_view name) const;
};

// One GET over a fresh connection with `Connection: close`; reads to EOF and decodes Content-Length,
// chunked or close-delimited bodies (1xx responses are skipped). Throws std::runtime_error on any
// failure, including the deadline.
http_response raw_http_get(const std::string& host, std::uint16_t port, const std::string& target,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace tsproxy::test
