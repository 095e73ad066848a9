#pragma once
// The environment Lambda gives a runtime and its extensions, built from the parent's environment.
// Pure: the parent environment and the clock are inputs.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tsproxy::local {

struct child_environment_settings {
  std::string runtime_api;  // "127.0.0.1:R"
  std::string task_root;    // the bootstrap's directory
  std::string function_name = "tsproxy-local";
  unsigned memory_mb = 256;
  std::size_t max_concurrency = 1;
  std::string_view invoke_mode;   // passed as TSPROXY_INVOKE_MODE unless the parent sets it
  std::string log_stream_suffix;  // 32 hex digits
  std::int64_t now_epoch_ms = 0;
};

// `parent` holds "NAME=value" entries (like environ). Lambda's variables override the parent's,
// except region, credentials and TSPROXY_INVOKE_MODE, which are kept when already set.
std::vector<std::string> build_child_environment(const std::vector<std::string>& parent,
                                                 const child_environment_settings& settings);

// The region a child sees: the parent's AWS_REGION, else us-east-1.
std::string child_region(const std::vector<std::string>& parent);

// environ as a vector.
std::vector<std::string> current_environment();

}  // namespace tsproxy::local
