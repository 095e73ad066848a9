#include "support/fault_proxy.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>
#include <string_view>
#include <system_error>

namespace tsproxy::test {
namespace {

constexpr std::size_t max_request_bytes = 1024 * 1024;

std::system_error last_error(const std::string& what) {
  return {errno, std::generic_category(), what};
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Appends what one read() gives; false at end of stream or on an error.
bool read_more(int fd, std::string& into) {
  char buffer[16384];
  for (;;) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    into.append(buffer, static_cast<std::size_t>(n));
    return true;
  }
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The Content-Length of a request head (0 without one); the client under test sends no chunked bodies.
std::size_t content_length(std::string_view head) {
  const auto lower = lowercase(head);
  const auto at = lower.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return std::stoul(lower.substr(at + 17));
}

// Reads one whole request: its head and its Content-Length body. nullopt if the client leaves first.
std::optional<std::string> read_request(int fd) {
  std::string bytes;
  std::size_t head_end;
  while ((head_end = bytes.find("\r\n\r\n")) == std::string::npos) {
    if (bytes.size() > max_request_bytes || !read_more(fd, bytes)) return std::nullopt;
  }
  const auto total = head_end + 4 + content_length(std::string_view(bytes).substr(0, head_end));
  while (bytes.size() < total) {
    if (bytes.size() > max_request_bytes || !read_more(fd, bytes)) return std::nullopt;
  }
  return bytes;
}

std::string json_error(int status, std::string_view reason, std::string_view type, std::string_view message) {
  const std::string body =
      R"({"__type":")" + std::string(type) + R"(","message":")" + std::string(message) + R"("})";
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\n"
         "x-amzn-RequestId: 7a62c49f-347e-4fc4-9331-6e8e7a96aa73\r\n"
         "x-amzn-ErrorType: " +
         std::string(type) +
         "\r\n"
         "Content-Type: application/x-amz-json-1.1\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

// The bytes answered for a fault that answers; empty for forward and reset.
std::string canned_answer(proxy_fault fault) {
  switch (fault) {
    case proxy_fault::throttling_exception:
      return json_error(400, "Bad Request", "ThrottlingException", "Rate exceeded");
    case proxy_fault::too_many_requests:
      return json_error(429, "Too Many Requests", "TooManyRequestsException", "Too many requests");
    case proxy_fault::internal_error:
      return json_error(500, "Internal Server Error", "InternalServiceError",
                        "An error occurred on the server side.");
    case proxy_fault::service_unavailable:
      return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
             "Connection: close\r\n\r\nService Unavailable\n";
    case proxy_fault::forward:
    case proxy_fault::reset:
      break;
  }
  return {};
}

void reset(int fd) {
  const linger abort_on_close{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
}

}  // namespace

fault_proxy::fault_proxy(std::uint16_t upstream_port, std::vector<proxy_fault> plan)
    : upstream_port_(upstream_port), plan_(std::move(plan)) {
  if (plan_.empty()) plan_.push_back(proxy_fault::forward);
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener_) throw last_error("fault_proxy: socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw last_error("fault_proxy: bind");
  if (::listen(listener_.get(), 64) != 0) throw last_error("fault_proxy: listen");
  socklen_t length = sizeof address;
  ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

fault_proxy::~fault_proxy() {
  stopping_ = true;
  ::shutdown(listener_.get(), SHUT_RDWR);  // wakes the blocked accept()
  accept_thread_.join();
  {
    const std::lock_guard lock(mutex_);
    for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  for (auto& thread : connection_threads_) thread.join();
}

std::string fault_proxy::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void fault_proxy::accept_loop() {
  for (std::size_t index = 0;; ++index) {
    unique_fd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (stopping_) return;
    if (!client) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    const auto fault = plan_[std::min(index, plan_.size() - 1)];
    track(client.get());
    const std::lock_guard lock(mutex_);  // the destructor joins these only after this thread has ended
    connection_threads_.emplace_back([this, fault, fd = client.release()] { serve(unique_fd(fd), fault); });
  }
}

void fault_proxy::serve(unique_fd client, proxy_fault fault) {
  if (const auto request = read_request(client.get())) {
    ++requests_;
    if (fault == proxy_fault::forward) {
      forward(client.get(), *request);
    } else if (fault == proxy_fault::reset) {
      reset(client.get());
    } else if (write_all(client.get(), canned_answer(fault))) {
      ::shutdown(client.get(), SHUT_WR);
      std::string ignored;
      while (read_more(client.get(), ignored)) ignored.clear();  // until the client closes
    }
  }
  untrack(client.get());
}

void fault_proxy::forward(int client, const std::string& request_bytes) {
  std::error_code ec;
  auto upstream = connect_tcp(loopback_ipv4, upstream_port_, std::chrono::seconds(10), ec);
  if (!upstream) {
    reset(client);
    return;
  }
  track(upstream.get());
  if (write_all(upstream.get(), request_bytes)) {
    // Relays both ways until either side closes; the client closes once it has its answer.
    pollfd fds[2] = {{client, POLLIN, 0}, {upstream.get(), POLLIN, 0}};
    for (bool open = true; open;) {
      if (::poll(fds, 2, -1) < 0) {
        open = errno == EINTR;
        continue;
      }
      for (int i = 0; i < 2 && open; ++i) {
        if (fds[i].revents == 0) continue;
        std::string bytes;
        open = read_more(fds[i].fd, bytes) && write_all(fds[1 - i].fd, bytes);
      }
    }
  }
  untrack(upstream.get());
}

void fault_proxy::track(int fd) {
  const std::lock_guard lock(mutex_);
  open_fds_.insert(fd);
  if (stopping_) ::shutdown(fd, SHUT_RDWR);
}

void fault_proxy::untrack(int fd) {
  const std::lock_guard lock(mutex_);
  open_fds_.erase(fd);
}

}  // namespace tsproxy::test
