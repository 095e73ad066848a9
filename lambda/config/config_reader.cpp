#include "config/config_reader.hpp"

#include "tsproxy/engine/engine_config.hpp"

namespace tsproxy::config {

std::string expected_text(const variable& v) {
  const auto range = [&v] { return "from " + std::to_string(v.min) + " to " + std::to_string(v.max); };
  switch (v.kind) {
    case value_kind::count:
      return "a whole number " + range();
    case value_kind::milliseconds:
      return "a whole number of milliseconds " + range();
    case value_kind::duration:
      return "a duration " + range() + " milliseconds, like 2000ms or 2s (a bare number is ms)";
    case value_kind::flag:
      return "true or false";
    case value_kind::text:
      if (!v.accepts.empty()) return std::string(v.accepts);
      if (v.max != 0) return "at most " + std::to_string(v.max) + " " + std::string(v.unit);
      return "any text";
    case value_kind::address:
    case value_kind::choice:
      return std::string(v.accepts);
  }
  return {};
}

config_reader::config_reader(const env_lookup& env, std::string& error) : env_(env), error_(error) {
  error_.clear();  // a new reading: an earlier one's error is not this one's
}

const char* config_reader::lookup(const variable& v) const {
  const std::string name(v.name);
  const char* text = env_(name.c_str());
  return (text != nullptr && *text != '\0') ? text : nullptr;
}

const char* config_reader::value_or_default(const variable& v) const {
  if (const char* text = lookup(v)) return text;
  // The table's string_views name string literals, so data() is NUL-terminated.
  return v.default_value.empty() ? nullptr : v.default_value.data();
}

void config_reader::fail(const variable& v, std::string_view value) {
  fail(v, value, expected_text(v));
}

void config_reader::fail(const variable& v, std::string_view value, const std::string& expected) {
  if (!error_.empty()) return;
  error_ =
      std::string(v.name) + "='" + std::string(value.substr(0, 64)) + "' is invalid: expected " + expected;
}

bool config_reader::bounded(const variable& v, std::uint64_t& out) {
  const char* text = value_or_default(v);
  if (text == nullptr) return false;
  if (parse_uint(text, v.min, v.max, out)) return true;
  fail(v, text);
  return false;
}

void config_reader::milliseconds(const variable& v, std::chrono::milliseconds& out) {
  std::uint64_t value = 0;
  if (bounded(v, value)) out = std::chrono::milliseconds(value);
}

void config_reader::flag(const variable& v, bool& out) {
  if (const char* text = value_or_default(v); text != nullptr && !parse_bool(text, out)) fail(v, text);
}

void config_reader::text(const variable& v, std::string& out) {
  const char* text = value_or_default(v);
  if (text == nullptr) return;
  if (const auto size = std::string_view(text).size(); v.max != 0 && size > v.max) {
    // Not quoted: the value may be a password.
    if (error_.empty())
      error_ =
          std::string(v.name) + " is " + std::to_string(size) + " bytes long: expected " + expected_text(v);
    return;
  }
  out = text;
}

}  // namespace tsproxy::config
