#include "support/net.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace tsproxy::test {
namespace {

using clock_type = std::chrono::steady_clock;

std::system_error last_error(const std::string& what) {
  return {errno, std::generic_category(), what};
}

// Fills a sockaddr from a numeric IPv4 or IPv6 literal; returns its length, or 0 if host is neither.
socklen_t make_address(const std::string& host, std::uint16_t port, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof storage);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return sizeof(sockaddr_in);
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return sizeof(sockaddr_in6);
  }
  return 0;
}

int remaining_ms(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string decode_chunked(std::string_view in) {
  std::string out;
  while (true) {
    auto eol = in.find("\r\n");
    if (eol == std::string_view::npos) throw std::runtime_error("raw_http_get: truncated chunk size line");
    std::size_t size = std::stoul(std::string(in.substr(0, eol)), nullptr, 16);  // stops at ';ext'
    in.remove_prefix(eol + 2);
    if (size == 0) return out;  // trailers are ignored
    if (in.size() < size + 2) throw std::runtime_error("raw_http_get: truncated chunk");
    out.append(in.substr(0, size));
    in.remove_prefix(size + 2);
  }
}

}  // namespace

unique_fd& unique_fd::operator=(unique_fd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void unique_fd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

// The lowest port the kernel hands out to connections that bind none (ip_local_port_range).
int ephemeral_low() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  range >> low;
  return low;
}

}  // namespace

std::uint16_t free_tcp_port() {
  // Chosen below the ephemeral range, so none of the many connections the suites open can take the
  // port between this check and the caller's bind; randomly, so parallel tests rarely pick the same.
  static const int high = ephemeral_low() - 1;
  constexpr int low = 10000;
  static std::mt19937 pick(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const auto port = static_cast<std::uint16_t>(std::uniform_int_distribution<int>(low, high)(pick));
    unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw last_error("free_tcp_port: socket");
    sockaddr_storage storage{};
    socklen_t len = make_address("127.0.0.1", port, storage);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), len) == 0) return port;
    if (errno != EADDRINUSE) throw last_error("free_tcp_port: bind");
  }
  throw std::runtime_error("free_tcp_port: no free port below the ephemeral range");
}

std::size_t count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) throw last_error("count_open_fds: opendir /proc/self/fd");
  std::size_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the descriptor opendir itself held
}

std::vector<tcp_socket_info> tcp_sockets_of(pid_t pid) {
  // Socket inodes the process holds: /proc/PID/fd/N -> "socket:[INODE]".
  const std::string fd_dir = pid == 0 ? std::string("/proc/self/fd") : "/proc/" + std::to_string(pid) + "/fd";
  std::vector<std::string> own;
  DIR* dir = ::opendir(fd_dir.c_str());
  if (dir == nullptr) throw last_error("tcp_sockets_of: opendir " + fd_dir);
  while (const dirent* entry = ::readdir(dir)) {
    char target[64];
    const std::string link = fd_dir + "/" + entry->d_name;
    const auto n = ::readlink(link.c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    const std::string_view t(target, static_cast<std::size_t>(n));
    if (t.starts_with("socket:[") && t.ends_with("]")) own.emplace_back(t.substr(8, t.size() - 9));
  }
  ::closedir(dir);
  const auto port_of = [](const std::string& address) {  // "0100007F:1F90" (hex, port last)
    return static_cast<std::uint16_t>(std::stoul(address.substr(address.rfind(':') + 1), nullptr, 16));
  };
  std::vector<tcp_socket_info> sockets;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >>
            inode))
        continue;
      if (std::find(own.begin(), own.end(), inode) == own.end()) continue;
      tcp_socket_info info;
      info.state = static_cast<int>(std::stoul(state, nullptr, 16));
      info.rx_queue = std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16);
      info.local_port = port_of(local);
      info.remote_port = port_of(remote);
      sockets.push_back(info);
    }
  }
  return sockets;
}

std::size_t count_own_sockets_in_close_wait() {
  const auto sockets = tcp_sockets_of(0);
  return static_cast<std::size_t>(std::count_if(sockets.begin(), sockets.end(), [](const tcp_socket_info& s) {
    return s.state == tcp_socket_info::close_wait;
  }));
}

bool ipv6_loopback_available() {
  unique_fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_storage storage{};
  socklen_t len = make_address("::1", 0, storage);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), len) == 0;
}

unique_fd connect_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout,
                      std::error_code& ec) {
  ec.clear();
  sockaddr_storage storage{};
  socklen_t len = make_address(host, port, storage);
  if (len == 0) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return {};
  }
  unique_fd fd(::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) {
    ec = {errno, std::generic_category()};
    return {};
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&storage), len) != 0) {
    if (errno != EINPROGRESS) {
      ec = {errno, std::generic_category()};
      return {};
    }
    pollfd pfd{fd.get(), POLLOUT, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
    if (ready == 0) {
      ec = std::make_error_code(std::errc::timed_out);
      return {};
    }
    int error = 0;
    socklen_t error_len = sizeof error;
    if (ready < 0)
      error = errno;
    else
      ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &error_len);
    if (error != 0) {
      ec = {error, std::generic_category()};
      return {};
    }
  }
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) & ~O_NONBLOCK);
  return fd;
}

std::string http_response::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

http_response raw_http_get(const std::string& host, std::uint16_t port, const std::string& target,
                           std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  const std::string where = host + ":" + std::to_string(port) + target;
  std::error_code ec;
  unique_fd fd = connect_tcp(host, port, timeout, ec);
  if (!fd) throw std::runtime_error("raw_http_get " + where + ": connect: " + ec.message());

  const std::string authority = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + authority + ":" +
                              std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0) throw last_error("raw_http_get " + where + ": send");
    sent += static_cast<std::size_t>(n);
  }

  std::string raw;
  char buffer[16384];
  while (true) {
    pollfd pfd{fd.get(), POLLIN, 0};
    int ready = ::poll(&pfd, 1, remaining_ms(deadline));
    if (ready == 0) throw std::runtime_error("raw_http_get " + where + ": timed out reading the response");
    if (ready < 0) throw last_error("raw_http_get " + where + ": poll");
    ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 0) throw last_error("raw_http_get " + where + ": recv");
    if (n == 0) break;
    raw.append(buffer, static_cast<std::size_t>(n));
  }

  std::string_view rest = raw;
  http_response response;
  do {  // interim (1xx) responses precede the final one
    auto head_end = rest.find("\r\n\r\n");
    if (head_end == std::string_view::npos)
      throw std::runtime_error("raw_http_get " + where + ": no complete head");
    std::string_view head = rest.substr(0, head_end + 2);
    rest.remove_prefix(head_end + 4);
    auto line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
      throw std::runtime_error("raw_http_get " + where + ": bad status line: " + std::string(status_line));
    }
    response.status = std::stoi(std::string(status_line.substr(9, 3)));
    response.headers.clear();
    head.remove_prefix(line_end + 2);
    while (!head.empty()) {
      line_end = head.find("\r\n");
      std::string_view line = head.substr(0, line_end);
      head.remove_prefix(line_end + 2);
      auto colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      response.headers.emplace_back(std::string(line.substr(0, colon)),
                                    std::string(trim(line.substr(colon + 1))));
    }
  } while (response.status >= 100 && response.status < 200);

  if (iequals(response.header("transfer-encoding"), "chunked")) {
    response.body = decode_chunked(rest);
  } else if (std::string length = response.header("content-length"); !length.empty()) {
    response.body = std::string(rest.substr(0, std::min<std::size_t>(std::stoul(length), rest.size())));
  } else {
    response.body = std::string(rest);
  }
  return response;
}

}  // namespace tsproxy::test
