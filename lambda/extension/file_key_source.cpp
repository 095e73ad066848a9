#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "extension/extension_errors.hpp"
#include "extension/key_source.hpp"
#include "extension/tailscale_secret.hpp"

namespace tsproxy::extension {

namespace {

key_fetch_result read_key_file(const std::string& path) {
  key_fetch_result out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  const auto failed = [&](int error) {
    out.secret.clear();
    out.error_type = error == ENOENT || error == ENOTDIR ? error_types::secret_missing
                     : error == EACCES || error == EPERM ? error_types::secret_access_denied
                                                         : error_types::secret_unavailable;
    out.message = "cannot read the key file " + path + ": " + std::system_category().message(error);
    return out;
  };
  if (fd < 0) return failed(errno);
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return failed(error);
    }
    if (n == 0) break;
    out.secret.append(buffer, static_cast<std::size_t>(n));
    if (out.secret.size() > max_secret_bytes) break;  // the parser refuses it by its size
  }
  ::close(fd);
  return out;
}

// Takes its arguments by value: the coroutine may run after the caller's copies are gone.
asio::awaitable<key_fetch_result> fetch_from_file(std::string path) {
  co_return read_key_file(path);
}

}  // namespace

key_source file_key_source(std::string path) {
  return [path = std::move(path)](time_point) { return fetch_from_file(path); };
}

}  // namespace tsproxy::extension
