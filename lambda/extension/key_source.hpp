#pragma once
// Where the bring-up gets the secret that holds the Tailscale credential: the one seam between the
// extension and the way the secret is stored. The extension is given a key_source; the executable
// picks Secrets Manager (TS_SECRET_API_KEY) or a file (TSPROXY_TAILSCALE_AUTH_KEY_FILE), tests pass
// their own.

#include <asio/awaitable.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "tsproxy/engine/deadline.hpp"

namespace tsproxy::extension {

struct key_fetch_result {
  std::string secret;           // the secret's text (parsed by parse_tailscale_secret)
  std::string_view error_type;  // empty on success, else one of extension_errors.hpp
  std::string message;          // why, never containing the secret
  bool ok() const noexcept { return error_type.empty(); }
};

using key_source = std::function<asio::awaitable<key_fetch_result>(time_point until)>;

// Reads the secret's text from a file (for runs outside AWS, e.g. under tsproxy-local).
key_source file_key_source(std::string path);

}  // namespace tsproxy::extension
