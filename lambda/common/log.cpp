#include "common/log.hpp"

#include <unistd.h>

#include <string>

#include "adapter/json_writer.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::lambda {

namespace {

log_level current_level = log_level::info;

std::string_view level_name(log_level level) noexcept {
  switch (level) {
    case log_level::debug:
      return "DEBUG";
    case log_level::info:
      return "INFO";
    case log_level::warn:
      return "WARN";
    case log_level::error:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

void set_log_level(log_level level) noexcept {
  current_level = level;
}
bool log_enabled(log_level level) noexcept {
  return level >= current_level;
}

bool parse_log_level(std::string_view text, log_level& out) noexcept {
  for (auto level : {log_level::debug, log_level::info, log_level::warn, log_level::error}) {
    if (iequals(text, level_name(level))) {
      out = level;
      return true;
    }
  }
  return false;
}

void log(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  if (!log_enabled(level)) return;
  std::string line = "{\"level\":\"";
  line += level_name(level);
  line += "\",\"msg\":";
  append_json_string_lossy(line, message);
  for (const auto& field : fields) {
    line += ',';
    append_json_string_lossy(line, field.key);
    line += ':';
    std::visit(
        [&line](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>)
            append_json_string_lossy(line, v);
          else if constexpr (std::is_same_v<T, bool>)
            line += v ? "true" : "false";
          else if constexpr (std::is_same_v<T, double>)
            append_json_fixed(line, v, 3);
          else
            append_json_int(line, v);
        },
        field.value);
  }
  line += "}\n";
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace tsproxy::lambda
