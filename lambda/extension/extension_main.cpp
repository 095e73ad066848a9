// tsproxy-tailscale: the Lambda extension that brings Tailscale up for the proxy. Lambda runs every
// executable in /opt/extensions/ and names the extension after the file. All policy lives in the
// extension library.

#include <unistd.h>

#include <asio/io_context.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.hpp"
#include "config/config_reader.hpp"
#include "config/numeric_endpoint.hpp"
#include "extension/extension_config.hpp"
#include "extension/key_source.hpp"
#include "extension/secrets_manager_key_source.hpp"
#include "extension/tailscale_extension.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/tls_client_context.hpp"
#include "tsproxy/version.hpp"

extern char** environ;

namespace {

// The executable's own path (the layer's bin/ folder is found from it), else argv[0].
std::string executable_path(const char* argv0) {
  std::string path(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", path.data(), path.size() - 1);
  if (n <= 0) return argv0;
  path.resize(static_cast<std::size_t>(n));
  return path;
}

std::string base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace

// NOLINTNEXTLINE(bugprone-exception-escape): an exception here is a bug; std::terminate names it and aborts
int main(int argc, char** argv) {
  using namespace tsproxy::extension;
  using tsproxy::lambda::log;
  using tsproxy::lambda::log_level;
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("tsproxy-tailscale (tsproxy) %.*s\n", static_cast<int>(tsproxy::version.size()),
                tsproxy::version.data());
    return 0;
  }
  const auto started = tsproxy::steady_clock::now();
  std::signal(SIGPIPE, SIG_IGN);  // a closed socket is an error code, not a signal
  // Before the signer's first HMAC: no openssl.cnf of the machine that built this static executable.
  tsproxy::use_builtin_openssl_defaults();

  extension_options options;
  options.started = started;
  options.name = base_name(argv[0]);
  const auto& api_variable = tsproxy::config::vars::runtime_api;
  const char* api = tsproxy::process_env(api_variable.name.data());
  if (api == nullptr || !tsproxy::lambda::parse_numeric_endpoint(api, options.api)) {
    log(log_level::error,
        std::string(api_variable.name) + " must be " + tsproxy::config::expected_text(api_variable));
    return 1;
  }
  options.config =
      load_extension_config(tsproxy::process_env, executable_path(argv[0]), options.config_error);
  if (options.config) {
    options.keys = options.config->auth_key_file.empty()
                       ? secrets_manager_key_source(options.config->secret_id)
                       : file_key_source(options.config->auth_key_file);
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) options.child_env.emplace_back(*e);

  asio::io_context io(1);
  tailscale_extension extension(io, std::move(options));
  tsproxy::spawn_reported(io.get_executor(), "extension", extension.run());
  io.run();
  return extension.exit_code();
}
