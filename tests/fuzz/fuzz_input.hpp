#pragma once
// Small helpers shared by the fuzz targets: the input as text, a finding, and an environment written
// as NAME=value lines (how the configuration fuzzers give the parsers their variables).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace tsproxy::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant: libFuzzer records the input that led here.
[[noreturn]] inline void finding(const char* what) {
  std::fprintf(stderr, "\nfinding: %s\n", what);
  std::abort();
}

inline void require(bool holds, const char* what) {
  if (!holds) finding(what);
}

// Whether `s` could sit inside a request head without ending or cutting a line.
inline bool no_line_break_or_nul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// "NAME=value" lines (LF-separated; a line without '=' is skipped, the last of a repeated name wins).
class env_lines {
 public:
  explicit env_lines(std::string_view text) {
    while (!text.empty()) {
      const auto eol = text.find('\n');
      const auto line = text.substr(0, eol);
      if (const auto eq = line.find('='); eq != std::string_view::npos)
        values_[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
      if (eol == std::string_view::npos) break;
      text.remove_prefix(eol + 1);
    }
  }
  // An env_lookup (config/environment.hpp), spelled out: not every fuzz target sees lambda/.
  std::function<const char*(const char*)> lookup() const {
    return [this](const char* name) -> const char* {
      const auto it = values_.find(name);
      return it == values_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace tsproxy::fuzz
