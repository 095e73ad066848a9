#include "extension/secret_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace tsproxy::extension {

namespace {

std::error_code last_error() {
  return {errno, std::system_category()};
}

}  // namespace

secret_file::~secret_file() {
  remove();
}

std::error_code secret_file::create(const std::string& parent, std::string_view content) {
  remove();
  std::string pattern = parent + "/tsproxy-tailscale-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) return last_error();  // mode 0700
  dir_ = buffer.data();
  path_ = dir_ + "/auth-key";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const auto ec = last_error();
    remove();
    return ec;
  }
  std::error_code ec;
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ec = last_error();
      break;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0 && !ec) ec = last_error();
  if (ec) remove();
  return ec;
}

void secret_file::remove() noexcept {
  if (!path_.empty()) ::unlink(path_.c_str());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
  path_.clear();
  dir_.clear();
}

}  // namespace tsproxy::extension
