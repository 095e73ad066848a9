#include "json_log.hpp"

#include <unistd.h>

#include "adapter/json_writer.hpp"

namespace tsproxy::local {

log_line::log_line(std::string_view event) {
  text_ = "{\"event\":";
  lambda::append_json_string_lossy(text_, event);
}

void log_line::key(std::string_view k) {
  text_.push_back(',');
  lambda::append_json_string(text_, k);
  text_.push_back(':');
}

log_line& log_line::str(std::string_view k, std::string_view value) {
  key(k);
  lambda::append_json_string_lossy(text_, value);
  return *this;
}

log_line& log_line::num(std::string_view k, std::int64_t value) {
  key(k);
  lambda::append_json_int(text_, value);
  return *this;
}

log_line& log_line::ms(std::string_view k, double milliseconds) {
  key(k);
  lambda::append_json_fixed(text_, milliseconds, 3);
  return *this;
}

log_line& log_line::boolean(std::string_view k, bool value) {
  key(k);
  text_.append(value ? "true" : "false");
  return *this;
}

log_line& log_line::raw(std::string_view k, std::string_view json) {
  key(k);
  text_.append(json);
  return *this;
}

void log_line::emit() {
  text_.append("}\n");
  std::string_view rest = text_;
  while (!rest.empty()) {
    const auto n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n <= 0) break;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace tsproxy::local
