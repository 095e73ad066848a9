// The bootstrap against a Runtime API that goes away and comes back: short outages never add up to
// "Lambda is gone", however far apart they are, as long as the API answers in between.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

using namespace std::chrono_literals;

// A Runtime API on loopback that long-polls `next` and can be "down": while down it accepts each
// connection and closes it at once (so the runtime's attempts can be counted) and drops the ones it had.
class flaky_runtime_api {
 public:
  flaky_runtime_api() : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
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
  ~flaky_runtime_api() {
    stopping_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);
    set_down(true);
    acceptor_.join();
    for (auto& t : connections_) t.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void set_down(bool down) {
    std::lock_guard lock(mutex_);
    down_ = down;
    if (down) {
      for (const int fd : open_) ::shutdown(fd, SHUT_RDWR);
    }
    changed_.notify_all();
  }
  int refused_while_down() const { return refused_; }
  int nexts_waiting() const { return waiting_; }
  // Hands the next `next` an invocation; its response body arrives in responses().
  void invoke(std::string event) {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(event));
    changed_.notify_all();
  }
  std::vector<std::string> responses() const {
    std::lock_guard lock(mutex_);
    return responses_;
  }

 private:
  void accept_loop() {
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

  // Reads one request head (and a Content-Length body); false once the connection is gone.
  static bool read_request(int fd, std::string& buffer, std::string& head, std::string& body) {
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

  void serve(int fd) {
    std::string buffer, head, body;
    int served = 0;
    while (read_request(fd, buffer, head, body)) {
      std::string answer;
      if (head.starts_with("GET /2018-06-01/runtime/invocation/next")) {
        std::unique_lock lock(mutex_);
        ++waiting_;
        changed_.wait(lock, [&] { return down_ || stopping_ || !pending_.empty(); });
        --waiting_;
        if (down_ || stopping_) break;
        const auto event = pending_.front();
        pending_.erase(pending_.begin());
        answer = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: outage-" + std::to_string(++served) +
                 "\r\nLambda-Runtime-Deadline-Ms: 9999999999999\r\nContent-Type: application/json\r\n"
                 "Content-Length: " +
                 std::to_string(event.size()) + "\r\n\r\n" + event;
      } else {
        std::lock_guard lock(mutex_);
        responses_.push_back(body);
        answer = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}";
      }
      if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(answer.size()))
        break;
    }
    std::lock_guard lock(mutex_);
    std::erase(open_, fd);
    ::close(fd);
  }

  unique_fd listener_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> connections_;
  std::vector<int> open_;
  std::vector<std::string> pending_, responses_;
  std::atomic<bool> stopping_{false};
  bool down_ = false;
  std::atomic<int> refused_{0};
  std::atomic<int> waiting_{0};
};

constexpr std::string_view warmer =
    R"({"warmer":true,"warmerIndex":0,"warmerTimestamp":"2026-12-01T00:00:00Z"})";

// The real bootstrap against the flaky API, once its `next` long polls (one per loop) are waiting.
class RuntimeApiOutage : public ::testing::Test {
 protected:
  void start_bootstrap(env_vars env = {}, int loops = 1) {
    env.insert(env.end(), {{"AWS_LAMBDA_RUNTIME_API", api_.address()},
                           {"TSPROXY_TAILSCALE_SOCKET", ""},
                           {"TSPROXY_ALLOWED_TARGETS", "127.0.0.1:*"}});
    if (loops > 1) env.emplace_back("AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(loops));
    bootstrap_ = child_process({TSPROXY_BOOTSTRAP_BIN}, dir_ / "bootstrap.log", env);
    ASSERT_TRUE(wait_until([&] { return api_.nexts_waiting() == loops; })) << log();
  }
  std::string log() const { return read_file(bootstrap_.log_file()); }

  flaky_runtime_api api_;
  temp_dir dir_;
  child_process bootstrap_;
};

TEST_F(RuntimeApiOutage, TwoShortOutagesTwelveSecondsApartDoNotEndTheRuntime) {
  ASSERT_NO_FATAL_FAILURE(start_bootstrap());
  const auto first_outage = std::chrono::steady_clock::now();
  for (int outage = 0; outage < 2; ++outage) {
    const int refused_before = api_.refused_while_down();
    api_.set_down(true);
    // The runtime notices and keeps trying: its attempts meet a closed door.
    ASSERT_TRUE(wait_until([&] { return api_.refused_while_down() >= refused_before + 2; })) << log();
    api_.set_down(false);
    ASSERT_TRUE(wait_until([&] { return api_.nexts_waiting() == 1; })) << log();
    if (outage == 0) {
      // The second outage begins more than the runtime's 10 s patience after the first one did.
      std::this_thread::sleep_until(first_outage + 12s);
    }
  }
  ASSERT_TRUE(bootstrap_.running()) << log();
  api_.invoke(std::string(warmer));
  ASSERT_TRUE(wait_until([&] { return !api_.responses().empty(); })) << log();
  EXPECT_EQ(api_.responses().front(), R"({"success":true})");
}

TEST_F(RuntimeApiOutage, AnInvocationInFlightOutlivesAnotherLoopsTrouble) {
  // Two loops: one serves an invocation whose target holds its answer, while the other loop's `next`
  // meets a Runtime API that is gone for longer than the runtime's patience. The process must wait for
  // the invocation instead of exiting under it, and deliver its response once the API is back.
  microsocks_server socks;
  python_upstream upstream;
  ASSERT_NO_FATAL_FAILURE(
      start_bootstrap({{"TSPROXY_SOCKS5_ADDRESS", socks.host() + ":" + std::to_string(socks.port())}}, 2));
  api_.invoke(
      R"({"version":"2.0","rawPath":"/hold","rawQueryString":"key=outage","headers":{"ts-target-ip":"127.0.0.1","ts-target-port":")" +
      std::to_string(upstream.port()) +
      R"("},"requestContext":{"http":{"method":"GET"}},"isBase64Encoded":false})");
  ASSERT_TRUE(wait_until([&] { return upstream.held("outage") == 1; })) << log();
  const auto down_at = std::chrono::steady_clock::now();
  api_.set_down(true);
  std::this_thread::sleep_until(down_at + 12s);  // the state here is time: longer than the patience
  ASSERT_TRUE(bootstrap_.running()) << "the runtime exited with an invocation in flight\n" << log();
  api_.set_down(false);
  upstream.release("outage");
  ASSERT_TRUE(wait_until([&] { return !api_.responses().empty(); })) << log();
  EXPECT_NE(api_.responses().front().find(R"("statusCode":200)"), std::string::npos)
      << api_.responses().front();
  EXPECT_NE(api_.responses().front().find("released"), std::string::npos) << api_.responses().front();
}

TEST_F(RuntimeApiOutage, ARuntimeApiThatStaysAwayEndsTheRuntime) {
  // The converse, so the test above can fail: unreachable for longer than 10 s means Lambda is gone.
  ASSERT_NO_FATAL_FAILURE(start_bootstrap());
  api_.set_down(true);
  const auto code = bootstrap_.wait_for_exit(60s);
  ASSERT_TRUE(code.has_value()) << "still running after 60 s without a Runtime API";
  EXPECT_EQ(*code, 1);
  EXPECT_NE(log().find("runtime API unreachable; exiting"), std::string::npos);
}

}  // namespace
}  // namespace tsproxy::test
