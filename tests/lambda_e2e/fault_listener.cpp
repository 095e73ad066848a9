#include "fault_listener.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "support/wait.hpp"

namespace tsproxy::test {

namespace {

constexpr int listen_socket_state = 0x0a;  // TCP_LISTEN in /proc/net/tcp
constexpr int normal_backlog = 64;

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void reset_and_close(int fd) {
  const linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
}

// Bounds a blocking read of a peer that may never send, so a thread cannot outlive its test by much.
void bound_reads(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

}  // namespace

fault_listener::fault_listener(std::uint16_t relay_port, mode initial)
    : relay_port_(relay_port), wake_(::eventfd(0, EFD_CLOEXEC)), mode_(initial) {
  if (!wake_) throw std::runtime_error("fault_listener: eventfd failed");
  open_listener(normal_backlog);
  acceptor_ = std::thread([this] { accept_loop(); });
  if (initial == mode::down || initial == mode::backlog_full) {
    mode_ = mode::relay;
    set_mode(initial);
  }
}

fault_listener::~fault_listener() {
  stopping_ = true;
  {
    std::lock_guard lock(mutex_);
    polling_paused_ = false;
    for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  changed_.notify_all();
  wake();
  acceptor_.join();
  for (auto& t : threads_) t.join();
  for (const int fd : open_) ::close(fd);
}

void fault_listener::open_listener(int backlog) {
  unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port_);
  socklen_t length = sizeof address;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(fd.get(), backlog) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("fault_listener: cannot listen on port " + std::to_string(port_));
  port_ = ntohs(address.sin_port);
  listener_ = std::move(fd);
}

void fault_listener::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_.get(), &one, sizeof one);
}

std::size_t fault_listener::held() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

void fault_listener::set_mode(mode m) {
  // Park the accept loop, so the listener can change under no one's poll.
  std::unique_lock lock(mutex_);
  polling_paused_ = true;
  wake();
  changed_.wait(lock, [&] { return loop_parked_; });
  const mode old = mode_;
  if (old == mode::backlog_full && m != mode::backlog_full) {
    ::listen(listener_.get(), normal_backlog);
    // Only the filler waits in the queue (later SYNs were dropped): take it out before the loop resumes.
    pollfd p{listener_.get(), POLLIN, 0};
    while (::poll(&p, 1, 0) == 1) {
      const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) break;
      ::close(fd);
    }
    filler_.reset();
  }
  if (old == mode::down && m != mode::down) open_listener(normal_backlog);
  if (m == mode::down && old != mode::down) listener_.reset();
  if (m == mode::backlog_full && old != mode::backlog_full) {
    // On Linux a listener whose accept queue holds more than its backlog drops new SYNs, so a connect()
    // hangs, as it does towards a listener that is overwhelmed.
    ::listen(listener_.get(), 0);
    std::error_code ec;
    filler_ = connect_tcp(loopback_ipv4, port_, std::chrono::seconds(5), ec);
    const auto queue_full = [&] {
      const auto sockets = tcp_sockets_of(0);
      return std::any_of(sockets.begin(), sockets.end(), [&](const tcp_socket_info& s) {
        return s.state == listen_socket_state && s.local_port == port_ && s.rx_queue >= 1;
      });
    };
    if (!filler_ || !wait_until(queue_full))
      throw std::runtime_error("fault_listener: accept queue not full");
  }
  mode_ = m;
  polling_paused_ = false;
  lock.unlock();
  changed_.notify_all();
}

void fault_listener::accept_loop() {
  while (!stopping_) {
    pollfd fds[2] = {{wake_.get(), POLLIN, 0}, {-1, POLLIN, 0}};
    {
      std::unique_lock lock(mutex_);
      if (polling_paused_) {
        loop_parked_ = true;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !polling_paused_ || stopping_; });
        loop_parked_ = false;
        continue;
      }
      if (listener_ && mode_ != mode::backlog_full && mode_ != mode::down) fds[1].fd = listener_.get();
    }
    if (::poll(fds, 2, -1) <= 0) continue;
    if (fds[0].revents != 0) {
      std::uint64_t count = 0;
      [[maybe_unused]] const auto n = ::read(wake_.get(), &count, sizeof count);
      continue;
    }
    if ((fds[1].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(fds[1].fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    mode m;
    {
      std::lock_guard lock(mutex_);
      m = mode_;
      open_.push_back(fd);
    }
    serve(fd, m);
  }
}

void fault_listener::hold(int fd) {
  std::lock_guard lock(mutex_);
  held_.push_back(fd);
}

void fault_listener::serve(int fd, mode m) {
  switch (m) {
    case mode::relay:
      if (relay_port_ == 0) return hold(fd);
      threads_.emplace_back([this, fd] { relay(fd); });
      return;
    case mode::close_at_once: {
      std::lock_guard lock(mutex_);
      std::erase(open_, fd);
      reset_and_close(fd);
      return;
    }
    case mode::hang_after_greeting:
      threads_.emplace_back([this, fd] {
        bound_reads(fd);
        char greeting[257];
        if (::recv(fd, greeting, sizeof greeting, 0) >= 3) send_all(fd, "\x05\x00", 2);
        hold(fd);
      });
      return;
    case mode::garbage:
      threads_.emplace_back([this, fd] {
        bound_reads(fd);
        char greeting[257];
        if (::recv(fd, greeting, sizeof greeting, 0) > 0) {
          constexpr std::string_view answer = "HTTP/1.1 400 Bad Request\r\n\r\n";
          send_all(fd, answer.data(), answer.size());
        }
        hold(fd);
      });
      return;
    case mode::hang:
    case mode::backlog_full:
    case mode::down:
      return hold(fd);
  }
}

void fault_listener::relay(int client) {
  std::error_code ec;
  unique_fd upstream = connect_tcp(loopback_ipv4, relay_port_, std::chrono::seconds(10), ec);
  const int server = upstream.release();
  {
    std::lock_guard lock(mutex_);
    if (server >= 0) open_.push_back(server);
  }
  pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  bool reset = server < 0;
  while (!reset && (p[0].fd >= 0 || p[1].fd >= 0)) {
    if (::poll(p, 2, -1) <= 0) continue;
    for (int i = 0; i < 2 && !reset; ++i) {
      if (p[i].fd < 0 || p[i].revents == 0) continue;
      const int other = i == 0 ? server : client;
      char buffer[65536];
      const auto n = ::recv(p[i].fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        reset = !send_all(other, buffer, static_cast<std::size_t>(n));
      } else if (n == 0) {
        ::shutdown(other, SHUT_WR);  // pass the half-close on
        p[i].fd = -1;
      } else {
        reset = true;  // a reset on one side resets the other, as it would through a real relay
      }
    }
  }
  std::lock_guard lock(mutex_);
  for (const int fd : {client, server}) {
    if (fd < 0) continue;
    std::erase(open_, fd);
    if (reset)
      reset_and_close(fd);
    else
      ::close(fd);
  }
}

}  // namespace tsproxy::test
