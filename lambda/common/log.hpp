#pragma once
// Structured logs: one JSON object per line on stderr, written with a single write(2) so lines
// from concurrent invocations never interleave. Bodies and secrets are never passed here.

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <variant>

namespace tsproxy::lambda {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

struct log_field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;
};

void set_log_level(log_level level) noexcept;
bool log_enabled(log_level level) noexcept;
void log(log_level level, std::string_view message, std::initializer_list<log_field> fields = {});

// Parses "debug|info|warn|error" (any case).
bool parse_log_level(std::string_view text, log_level& out) noexcept;

}  // namespace tsproxy::lambda
