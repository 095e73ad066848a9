// The runtime's environment (AWS_LAMBDA_*, TSPROXY_*), given as NAME=value lines. Any value is either
// accepted within its documented bounds or refused with a message that names a variable.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fuzz_input.hpp"
#include "runtime/runtime_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tsproxy::fuzz::require;
  namespace lambda = tsproxy::lambda;
  const tsproxy::fuzz::env_lines env(tsproxy::fuzz::as_text(data, size));
  std::string error;
  std::optional<asio::ip::tcp::endpoint> runtime_api;
  const auto config = lambda::load_runtime_config(env.lookup(), error, runtime_api, 2);
  if (!config) {
    require(error.find("AWS_LAMBDA_") != std::string::npos || error.find("TSPROXY_") != std::string::npos ||
                error.find("DEBUG") != std::string::npos,
            "a refused configuration names no variable");
    return 0;
  }
  require(config->concurrency >= 1 && config->threads >= 1 && config->threads <= config->concurrency,
          "concurrency or threads out of bounds");
  for (unsigned t = 0; t < config->threads; ++t) {
    const auto share = lambda::config_for_thread(*config, t);
    require(share.concurrency >= 1, "a thread got no invocation loop");
  }
  return 0;
}
