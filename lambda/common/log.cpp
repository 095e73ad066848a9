#include "common/log.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <string>

#include "adapter/json_writer.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::lambda {

namespace {

log_level current_level = log_level::info;
log_format current_format = log_format::text;

// "2026-12-07T07:47:00.123Z"
void append_timestamp(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  out.append(text, n);
  out.push_back('.');
  const auto millis = static_cast<int>(ms % 1000);
  out.push_back(static_cast<char>('0' + millis / 100));
  out.push_back(static_cast<char>('0' + millis / 10 % 10));
  out.push_back(static_cast<char>('0' + millis % 10));
  out.push_back('Z');
}

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
void set_log_format(log_format format) noexcept {
  current_format = format;
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

bool parse_lambda_log_level(std::string_view text, log_level& out) noexcept {
  if (iequals(text, "TRACE")) {
    out = log_level::debug;
    return true;
  }
  if (iequals(text, "FATAL")) {
    out = log_level::error;
    return true;
  }
  return parse_log_level(text, out);
}

bool parse_log_format(std::string_view text, log_format& out) noexcept {
  if (iequals(text, "JSON")) {
    out = log_format::json;
    return true;
  }
  if (iequals(text, "Text")) {
    out = log_format::text;
    return true;
  }
  return false;
}

void log(log_level level, std::string_view message, std::initializer_list<log_field> fields) {
  log(level, message, std::span<const log_field>(fields.begin(), fields.size()));
}

void log(log_level level, std::string_view message, std::span<const log_field> fields) {
  if (!log_enabled(level)) return;
  const bool lambda_json = current_format == log_format::json;
  std::string line = "{";
  if (lambda_json) {
    line += "\"timestamp\":\"";
    append_timestamp(line);
    line += "\",";
  }
  line += "\"level\":\"";
  line += level_name(level);
  line += lambda_json ? "\",\"message\":" : "\",\"msg\":";
  append_json_string_lossy(line, message);
  for (const auto& field : fields) {
    line += ',';
    append_json_string_lossy(line, lambda_json && field.key == "request_id" ? "requestId" : field.key);
    line += ':';
    std::visit(
        [&line](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>)
            append_json_string_lossy(line, v);
          else if constexpr (std::is_same_v<T, std::nullptr_t>)
            line += "null";
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
