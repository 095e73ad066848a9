#include "flaky_runtime_api.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace tsproxy::test {

namespace {

// Reads one request head (and a Content-Length body); false once the connection is gone.
bool read_request(int fd, std::string& buffer, std::string& head, std::string& body) {
  for (;;) {
    const auto end = buffer.find("\r\n\r\n");
    if (end != std::string::npos) {
      head = buffer.substr(0, end + 4);
      std::size_t length = 0;
      if (const auto cl = head.find("Content-Length: "); cl != std::string::npos)
        length = std::stoul(head.substr(cl + 16));
      while (buffer.size() < end + 4 + length) {
        char chunk[65536];
        const auto n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0) return false;
        buffer.append(chunk, static_cast<std::size_t>(n));
      }
      body = buffer.substr(end + 4, length);
      buffer.erase(0, end + 4 + length);
      return true;
    }
    char chunk[65536];
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace

flaky_runtime_api::flaky_runtime_api() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener_.get(), 64) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("flaky_runtime_api: cannot listen");
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

flaky_runtime_api::~flaky_runtime_api() {
  stopping_ = true;
  ::shutdown(listener_.get(), SHUT_RDWR);
  set_down(true);
  acceptor_.join();
  for (auto& t : connections_) t.join();
}

void flaky_runtime_api::set_down(bool down) {
  std::lock_guard lock(mutex_);
  down_ = down;
  if (down) {
    for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);
  }
  changed_.notify_all();
}

void flaky_runtime_api::cut_next_events(int count) {
  std::lock_guard lock(mutex_);
  cut_ = count;
}

void flaky_runtime_api::drop_next_posts(int count) {
  std::lock_guard lock(mutex_);
  drop_ = count;
}

void flaky_runtime_api::invoke(std::string event) {
  std::lock_guard lock(mutex_);
  pending_.push_back(std::move(event));
  changed_.notify_all();
}

std::vector<std::string> flaky_runtime_api::responses() const {
  std::lock_guard lock(mutex_);
  return responses_;
}

void flaky_runtime_api::accept_loop() {
  while (!stopping_) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    if (down_ || stopping_) {
      ++refused_;
      ::close(fd);
      continue;
    }
    open_.push_back(fd);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void flaky_runtime_api::serve(int fd) {
  std::string buffer, head, body;
  while (read_request(fd, buffer, head, body)) {
    std::string answer;
    bool close_after = false;
    if (head.starts_with("GET /2018-06-01/runtime/invocation/next")) {
      std::unique_lock lock(mutex_);
      ++waiting_;
      changed_.wait(lock, [&] { return down_ || stopping_ || !pending_.empty(); });
      --waiting_;
      if (down_ || stopping_) break;
      const auto event = pending_.front();
      pending_.erase(pending_.begin());
      answer = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: outage-" + std::to_string(++served_) +
               "\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\nContent-Type: application/json\r\n"
               "Content-Length: " +
               std::to_string(event.size()) + "\r\n\r\n";
      if (cut_ > 0) {
        --cut_;
        ++events_cut_;
        answer += event.substr(0, event.size() / 2);
        close_after = true;
      } else {
        answer += event;
      }
    } else {
      std::lock_guard lock(mutex_);
      if (drop_ > 0) {
        --drop_;
        ++posts_dropped_;
        break;
      }
      responses_.push_back(body);
      answer = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}";
    }
    if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(answer.size()) ||
        close_after)
      break;
  }
  std::lock_guard lock(mutex_);
  std::erase(open_, fd);
  ::close(fd);
}

}  // namespace tsproxy::test
