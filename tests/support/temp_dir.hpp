#pragma once
// A private scratch directory per peer or test (configs, logs, docroots), removed with everything in it
// when the owner goes away. Set TSPROXY_KEEP_TEST_DIRS=1 to keep them for post-mortems; each kept
// path is printed to stderr.

#include <filesystem>
#include <string>
#include <string_view>

namespace tsproxy::test {

class temp_dir {
 public:
  // Creates /tmp/<prefix>-XXXXXX (mode 0700). Throws std::system_error on failure.
  explicit temp_dir(std::string_view prefix = "tsproxy-test");
  ~temp_dir();

  temp_dir(temp_dir&& other) noexcept;
  temp_dir& operator=(temp_dir&& other) noexcept;
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  void remove() noexcept;

  std::filesystem::path path_;
};

// Writes (replacing) a whole file; throws std::system_error on failure.
void write_file(const std::filesystem::path& path, std::string_view content);

// Reads a whole file; throws std::system_error if it cannot be opened.
std::string read_file(const std::filesystem::path& path);

}  // namespace tsproxy::test
