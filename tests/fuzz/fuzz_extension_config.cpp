// The extension's environment (TS_*, TSPROXY_TAILSCALE_*), given as NAME=value lines, and the Go
// durations TS_EXIT_NODE_PING_TIMEOUT takes. An accepted configuration keeps every documented bound;
// a refused one names its variable.
#include <cstddef>
#include <cstdint>
#include <string>

#include "extension/extension_config.hpp"
#include "extension/go_duration.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tsproxy::fuzz::require;
  namespace ext = tsproxy::extension;
  const auto text = tsproxy::fuzz::as_text(data, size);

  if (const auto duration = ext::parse_go_duration(text)) {
    require(duration->count() >= 0 && *duration <= std::chrono::hours(24), "a duration beyond a day");
    const auto again = ext::parse_go_duration(ext::format_go_duration(*duration));
    require(again == duration, "a formatted duration reads back differently");
  }

  const tsproxy::fuzz::env_lines env(text);
  std::string error;
  const auto config = ext::load_extension_config(env.lookup(), "/opt/extensions/tsproxy-tailscale", error);
  if (!config) {
    require(error.find("TS_") != std::string::npos || error.find("TSPROXY_") != std::string::npos ||
                error.find("DEBUG") != std::string::npos,
            "a refused configuration names no variable");
    return 0;
  }
  require(config->secret_id.empty() != config->auth_key_file.empty(), "not exactly one key source");
  require(config->hostname.empty() || ext::is_valid_hostname(config->hostname),
          "an invalid hostname accepted");
  for (const auto& tag : config->advertise_tags) require(ext::is_valid_tag(tag), "an invalid tag accepted");
  require(config->exit_node_ping_timeout.count() <=
              static_cast<std::int64_t>(tsproxy::config::vars::exit_node_ping_timeout.max),
          "a ping timeout beyond the bound");
  return 0;
}
