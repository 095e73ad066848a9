#pragma once
// Structured logs of the runtime, the extension and tsproxy-local: one JSON object per line on stderr,
// written with a single write(2) so lines from concurrent invocations, and from the children that share
// tsproxy-local's stderr, never interleave. Bodies and secrets are never passed here.
//
// Lambda's advanced logging controls
// (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html) reach a custom
// runtime and its extensions as AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL. In the JSON format each line
// starts with Lambda's fields, `timestamp` (ISO 8601, UTC, milliseconds), `level`, `message` and, when the
// line is about an invocation, `requestId`, so the function's lines filter like any other function's; in the
// Text format (Lambda's default) lines are tsproxy's own:
// {"level":...,"msg":...,"request_id":...}.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <variant>

namespace tsproxy::lambda {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };
enum class log_format { text, json };

// A double is written with three decimals (milliseconds to the microsecond); nullptr as null.
using log_value = std::variant<std::string_view, std::int64_t, double, bool, std::nullptr_t>;

struct log_field {
  std::string_view key;
  log_value value;
};

void set_log_level(log_level level) noexcept;
void set_log_format(log_format format) noexcept;
bool log_enabled(log_level level) noexcept;
void log(log_level level, std::string_view message, std::initializer_list<log_field> fields = {});
// The same, for a line whose fields are chosen while it is built.
void log(log_level level, std::string_view message, std::span<const log_field> fields);

// Parses "debug|info|warn|error" (any case).
bool parse_log_level(std::string_view text, log_level& out) noexcept;
// AWS_LAMBDA_LOG_LEVEL: also TRACE (as debug) and FATAL (as error), Lambda's other two levels.
bool parse_lambda_log_level(std::string_view text, log_level& out) noexcept;
// AWS_LAMBDA_LOG_FORMAT: "JSON" or "Text" (any case).
bool parse_log_format(std::string_view text, log_format& out) noexcept;

}  // namespace tsproxy::lambda
