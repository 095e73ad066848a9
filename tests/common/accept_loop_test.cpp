// accept_connections when the process runs out of descriptors: it waits between attempts instead of
// spinning a core, reports the shortage once, serves the waiting connection as soon as descriptors are
// freed, and ends when its acceptor is closed.

#include "common/accept_loop.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <filesystem>
#include <vector>

// Counts every accept(2) of this process. Asio's reactor calls ::accept; a definition in the executable
// takes the place of the C library's, so the count sees each attempt, spinning or not.
namespace {
std::atomic<int> accept_calls{0};
}  // namespace

extern "C" int accept(int fd, sockaddr* address, socklen_t* length) {
  accept_calls.fetch_add(1);
  return static_cast<int>(::syscall(SYS_accept4, fd, address, length, 0));
}

namespace tsproxy::lambda {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

// Lowers the soft RLIMIT_NOFILE just above the descriptors in use and opens /dev/null until none is
// left; closes them and restores the limit when it goes.
class descriptor_shortage {
 public:
  descriptor_shortage() {
    ::getrlimit(RLIMIT_NOFILE, &saved_);
    int highest = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
      highest = std::max(highest, std::stoi(entry.path().filename().string()));
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(highest) + 16;
    ::setrlimit(RLIMIT_NOFILE, &lowered);
    for (;;) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (fd < 0) break;
      filler_.push_back(fd);
    }
  }
  ~descriptor_shortage() {
    for (const int fd : filler_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }
  descriptor_shortage(const descriptor_shortage&) = delete;
  descriptor_shortage& operator=(const descriptor_shortage&) = delete;

  bool full() const { return ::open("/dev/null", O_RDONLY | O_CLOEXEC) < 0 && errno == EMFILE; }

 private:
  rlimit saved_{};
  std::vector<int> filler_;
};

// Runs `io` until `done()` holds; false if it still does not after a generous bound.
template <typename Predicate>
bool run_until(asio::io_context& io, Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.run_one_for(10ms);
  }
  return true;
}

TEST(AcceptLoop, ShortagesAreTheResourceErrors) {
  for (const auto& category : {&asio::error::get_system_category(), &std::system_category()}) {
    for (const int e : {EMFILE, ENFILE, ENOBUFS, ENOMEM})
      EXPECT_TRUE(is_accept_shortage(std::error_code(e, *category))) << category->name() << " " << e;
    for (const int e : {ECONNABORTED, EPROTO, EPERM})
      EXPECT_FALSE(is_accept_shortage(std::error_code(e, *category))) << category->name() << " " << e;
  }
  EXPECT_FALSE(is_accept_shortage(asio::error::operation_aborted));
}

TEST(AcceptLoop, WaitsOutADescriptorShortageThenServesTheWaitingConnection) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check probes memory through a pipe (sanitizer_common's IsAccessibleMemoryRange): with the
  // descriptor table full it cannot, and reports every polymorphic call as one on an invalid object.
  GTEST_SKIP() << "needs free descriptors under the sanitizers; the other builds run it";
#endif
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  int served = 0;
  std::vector<std::error_code> shortages;
  bool ended = false;
  constexpr accept_backoff backoff{20ms, 80ms};
  asio::co_spawn(io,
                 accept_connections(
                     acceptor, [&](tcp::socket) { ++served; },
                     [&](std::error_code ec) { shortages.push_back(ec); }, backoff),
                 [&](const std::exception_ptr&) { ended = true; });
  tcp::socket client(io);
  client.open(tcp::v4());  // before the shortage: connecting needs no new descriptor

  {
    descriptor_shortage shortage;
    ASSERT_TRUE(shortage.full());
    const int before = accept_calls.load();
    client.connect(acceptor.local_endpoint());
    ASSERT_TRUE(run_until(io, [&] { return accept_calls.load() > before; }));  // the first failed attempt

    // Over a window of the shortage, at most one attempt per `first` wait (a spinning loop makes
    // thousands); the waits double, so fewer still.
    const auto window = 400ms;
    const int at_start = accept_calls.load();
    io.run_for(window);
    const int attempts = accept_calls.load() - at_start;
    EXPECT_LE(attempts, window / backoff.first + 1);
    EXPECT_GE(attempts, 1);  // it still retries
    EXPECT_EQ(served, 0);
    ASSERT_EQ(shortages.size(), 1U);                            // reported once per episode
    EXPECT_EQ(shortages.front(), asio::error::no_descriptors);  // EMFILE
  }

  EXPECT_TRUE(run_until(io, [&] { return served == 1; }));
  EXPECT_EQ(shortages.size(), 1U);

  acceptor.close();
  EXPECT_TRUE(run_until(io, [&] { return ended; }));
}

}  // namespace
}  // namespace tsproxy::lambda
