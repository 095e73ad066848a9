#include "common/log_settings.hpp"

namespace tsproxy::lambda {

namespace {
constexpr const char* lambda_log_level = "AWS_LAMBDA_LOG_LEVEL";
constexpr const char* lambda_log_format = "AWS_LAMBDA_LOG_FORMAT";
constexpr const char* debug = "DEBUG";
constexpr const char* tsproxy_log_level = "TSPROXY_LOG_LEVEL";
}  // namespace

void read_log_settings(config_reader& r, log_settings& out) {
  if (const char* v = r.lookup(lambda_log_level); v != nullptr && !parse_lambda_log_level(v, out.level))
    r.fail(lambda_log_level, v, "TRACE, DEBUG, INFO, WARN, ERROR or FATAL");
  if (const char* v = r.lookup(lambda_log_format); v != nullptr && !parse_log_format(v, out.format))
    r.fail(lambda_log_format, v, "JSON or Text");
  if (r.lookup(debug) != nullptr) out.level = log_level::debug;
  if (const char* v = r.lookup(tsproxy_log_level); v != nullptr && !parse_log_level(v, out.level))
    r.fail(tsproxy_log_level, v, "debug, info, warn or error");
}

void apply_log_settings(const log_settings& settings) noexcept {
  set_log_level(settings.level);
  set_log_format(settings.format);
}

}  // namespace tsproxy::lambda
