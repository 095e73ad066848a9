#include "support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <system_error>
#include <utility>

namespace tsproxy::test {

temp_dir::temp_dir(std::string_view prefix) {
  std::string pattern = "/tmp/" + std::string(prefix) + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = pattern;
}

temp_dir::~temp_dir() {
  remove();
}

temp_dir::temp_dir(temp_dir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

temp_dir& temp_dir::operator=(temp_dir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

void temp_dir::remove() noexcept {
  if (path_.empty()) return;
  const char* keep = std::getenv("TSPROXY_KEEP_TEST_DIRS");
  if (keep != nullptr && std::string_view(keep) == "1") {
    std::cerr << "[tsproxy test support] keeping " << path_.string() << '\n';
  } else {
    std::error_code ignored;  // a destructor cannot report; a leftover in /tmp is harmless
    std::filesystem::remove_all(path_, ignored);
  }
  path_.clear();
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw std::system_error(errno, std::generic_category(), "write " + path.string());
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::system_error(errno, std::generic_category(), "open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace tsproxy::test
