#pragma once
// The auth key on its way to `tailscale up --authkey=file:PATH`: a file only the extension's user can
// read (mode 0600, in a fresh 0700 folder), removed with the folder as soon as the object goes (once
// `up` has read it, or on any failure path), so the key is never on a command line or left on disk.

#include <string>
#include <string_view>
#include <system_error>

namespace tsproxy::extension {

class secret_file {
 public:
  secret_file() = default;
  ~secret_file();
  secret_file(const secret_file&) = delete;
  secret_file& operator=(const secret_file&) = delete;

  // Writes `content` to a new file under `parent` (e.g. /tmp).
  std::error_code create(const std::string& parent, std::string_view content);
  const std::string& path() const noexcept { return path_; }
  // Removes the file and its folder now (idempotent).
  void remove() noexcept;

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace tsproxy::extension
