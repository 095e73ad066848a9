#include "child_environment.hpp"

#include <ctime>

extern char** environ;

namespace tsproxy::local {

namespace {

const std::string* find_var(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry[name.size()] == '=' &&
        std::string_view(entry).substr(0, name.size()) == name) {
      return &entry;
    }
  }
  return nullptr;
}

std::string value_of(const std::vector<std::string>& env, std::string_view name, std::string_view fallback) {
  const auto* entry = find_var(env, name);
  return entry ? entry->substr(name.size() + 1) : std::string(fallback);
}

void set_var(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  std::string entry = std::string(name) + '=' + std::string(value);
  for (auto& e : env) {
    if (e.size() > name.size() && e[name.size()] == '=' &&
        std::string_view(e).substr(0, name.size()) == name) {
      e = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

void set_default(std::vector<std::string>& env, std::string_view name, std::string_view value) {
  if (!find_var(env, name)) set_var(env, name, value);
}

}  // namespace

std::string child_region(const std::vector<std::string>& parent) {
  return value_of(parent, "AWS_REGION", "us-east-1");
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

std::vector<std::string> build_child_environment(const std::vector<std::string>& parent,
                                                 const child_environment_settings& s) {
  std::vector<std::string> env = parent;
  const std::string region = child_region(parent);
  set_var(env, "AWS_LAMBDA_RUNTIME_API", s.runtime_api);
  set_var(env, "_HANDLER", "bootstrap");
  set_var(env, "LAMBDA_TASK_ROOT", s.task_root);
  set_var(env, "AWS_REGION", region);
  set_var(env, "AWS_DEFAULT_REGION", value_of(parent, "AWS_DEFAULT_REGION", region));
  set_var(env, "AWS_LAMBDA_FUNCTION_NAME", s.function_name);
  set_var(env, "AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
  set_var(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(s.memory_mb));
  set_var(env, "AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand");
  set_var(env, "AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + s.function_name);
  char date[16] = "1970/01/01";
  const std::time_t seconds = static_cast<std::time_t>(s.now_epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::strftime(date, sizeof date, "%Y/%m/%d", &tm);
  set_var(env, "AWS_LAMBDA_LOG_STREAM_NAME", std::string(date) + "/[$LATEST]" + s.log_stream_suffix);
  set_default(env, "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
  set_default(env, "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
  set_default(env, "AWS_SESSION_TOKEN", "tsproxy-local-dummy-session-token");
  set_var(env, "TZ", ":UTC");
  if (s.max_concurrency > 1) set_var(env, "AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(s.max_concurrency));
  if (!s.invoke_mode.empty()) set_default(env, "TSPROXY_INVOKE_MODE", s.invoke_mode);
  return env;
}

}  // namespace tsproxy::local
