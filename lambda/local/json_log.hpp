#pragma once
// Structured logs: one JSON object per line on stderr, {"event":"...", ...}, written with a single
// write so lines from the child (which shares stderr) never interleave inside one of ours.

#include <cstdint>
#include <string>
#include <string_view>

namespace tsproxy::local {

class log_line {
 public:
  explicit log_line(std::string_view event);
  log_line& str(std::string_view key, std::string_view value);
  log_line& num(std::string_view key, std::int64_t value);
  log_line& ms(std::string_view key, double milliseconds);  // three decimals
  log_line& boolean(std::string_view key, bool value);
  log_line& raw(std::string_view key, std::string_view json);  // value is already JSON
  void emit();                                                 // to stderr
  const std::string& text() const noexcept { return text_; }

 private:
  void key(std::string_view k);
  std::string text_;
};

}  // namespace tsproxy::local
