#include "common/log_settings.hpp"

namespace tsproxy::lambda {

void read_log_settings(config::config_reader& r, log_settings& out) {
  namespace vars = config::vars;
  if (const char* v = r.value_or_default(vars::lambda_log_level);
      v != nullptr && !parse_lambda_log_level(v, out.level))
    r.fail(vars::lambda_log_level, v);
  if (const char* v = r.value_or_default(vars::lambda_log_format);
      v != nullptr && !parse_log_format(v, out.format))
    r.fail(vars::lambda_log_format, v);
  if (r.lookup(vars::debug) != nullptr) out.level = log_level::debug;
  if (const char* v = r.lookup(vars::log_level); v != nullptr && !parse_log_level(v, out.level))
    r.fail(vars::log_level, v);
}

void apply_log_settings(const log_settings& settings) noexcept {
  set_log_level(settings.level);
  set_log_format(settings.format);
}

}  // namespace tsproxy::lambda
