#include "tsproxy/engine/io_backend.hpp"

#include <linux/io_uring.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>

namespace tsproxy {

const char* io_backend_name() noexcept {
#if defined(ASIO_HAS_IO_URING) && defined(ASIO_DISABLE_EPOLL)
  return "io_uring";
#else
  return "epoll";
#endif
}

bool io_uring_permitted(int* error) noexcept {
  io_uring_params params{};
  const long fd = ::syscall(__NR_io_uring_setup, 4, &params);
  if (fd < 0) {
    if (error != nullptr) *error = errno;
    return false;
  }
  ::close(static_cast<int>(fd));
  return true;
}

void ensure_io_backend(char** argv) noexcept {
#if defined(ASIO_HAS_IO_URING) && defined(ASIO_DISABLE_EPOLL)
  int error = 0;
  if (io_uring_permitted(&error)) return;
  char self[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  std::string fallback = n > 0 ? std::string(self, static_cast<std::size_t>(n)) : std::string(argv[0]);
  constexpr std::string_view suffix = "-uring";
  if (fallback.ends_with(suffix))
    fallback.resize(fallback.size() - suffix.size());
  else
    fallback += "-epoll";
  std::fprintf(stderr,
               "{\"level\":\"WARN\",\"msg\":\"io_uring unavailable, continuing with the epoll build\","
               "\"error\":\"%s\",\"fallback\":\"%s\"}\n",
               std::strerror(error), fallback.c_str());
  std::fflush(stderr);
  ::execv(fallback.c_str(), argv);
  std::fprintf(
      stderr,
      "{\"level\":\"ERROR\",\"msg\":\"cannot start the epoll build\",\"path\":\"%s\",\"error\":\"%s\"}\n",
      fallback.c_str(), std::strerror(errno));
  std::_Exit(127);
#else
  (void)argv;
#endif
}

}  // namespace tsproxy
