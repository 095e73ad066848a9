#pragma once
// Applies the configuration contract's variables to a configuration: each reader takes the variable's
// entry, applies its default when the variable is unset or empty (the contract's one rule for empty
// values), checks its bounds and, on a bad value, records the first error as a sentence naming the
// variable, quoting the value and saying what the contract accepts.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_contract.hpp"
#include "config/environment.hpp"

namespace tsproxy::config {

// What `v` accepts, as error messages and the README say it ("a whole number from 1 to 100").
std::string expected_text(const variable& v);

class config_reader {
 public:
  // Clears `error`, which then holds the first failure.
  config_reader(const env_lookup& env, std::string& error);

  // The variable's own value, or nullptr when unset or empty.
  const char* lookup(const variable& v) const;
  // The variable's value, else its default; nullptr when neither.
  const char* value_or_default(const variable& v) const;

  // Each leaves `out` alone when the variable is unset and has no default.
  template <typename Integer>
  void count(const variable& v, Integer& out) {
    std::uint64_t value = 0;
    if (bounded(v, value)) out = static_cast<Integer>(value);
  }
  void milliseconds(const variable& v, std::chrono::milliseconds& out);
  void flag(const variable& v, bool& out);
  void text(const variable& v, std::string& out);

  // Records that `v` holds `value`, which breaks the contract (only the first failure is kept).
  void fail(const variable& v, std::string_view value);
  // The same, with what was expected instead, for rules that depend on other variables.
  void fail(const variable& v, std::string_view value, const std::string& expected);
  bool ok() const { return error_.empty(); }

 private:
  bool bounded(const variable& v, std::uint64_t& out);

  const env_lookup& env_;
  std::string& error_;
};

}  // namespace tsproxy::config
