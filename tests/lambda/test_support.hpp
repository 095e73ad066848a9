#pragma once
// Helpers shared by the adapter tests: fixture loading and independent JSON re-parsing (simdjson DOM), so
// the encoders' output is checked by a real parser rather than by string comparison alone.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace tsproxy::lambda::testing {

inline std::string read_fixture(std::string_view name) {
  const std::string path = std::string(TSPROXY_LAMBDA_EVENTS_DIR) + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Parses `json` with the DOM API into `doc` (which owns the result); fails the test on invalid JSON.
inline simdjson::dom::element parse_dom(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::dom::element root;
  const auto error = parser.parse(json.data(), json.size()).get(root);
  EXPECT_EQ(error, simdjson::SUCCESS) << "invalid JSON: " << simdjson::error_message(error) << "\n" << json;
  if (error != simdjson::SUCCESS) {
    // Continue with a valid `null` document so later lookups fail as test failures, not assertions.
    EXPECT_EQ(parser.parse(std::string_view("null")).get(root), simdjson::SUCCESS);
  }
  return root;
}

inline std::string_view dom_string(simdjson::dom::element e, std::string_view pointer) {
  std::string_view s;
  const auto error = e.at_pointer(pointer).get(s);
  EXPECT_EQ(error, simdjson::SUCCESS) << pointer;
  return s;
}

inline std::int64_t dom_int(simdjson::dom::element e, std::string_view pointer) {
  std::int64_t v = 0;
  const auto error = e.at_pointer(pointer).get(v);
  EXPECT_EQ(error, simdjson::SUCCESS) << pointer;
  return v;
}

inline bool dom_bool(simdjson::dom::element e, std::string_view pointer) {
  bool v = false;
  const auto error = e.at_pointer(pointer).get(v);
  EXPECT_EQ(error, simdjson::SUCCESS) << pointer;
  return v;
}

inline bool dom_has(simdjson::dom::element e, std::string_view pointer) {
  return e.at_pointer(pointer).error() == simdjson::SUCCESS;
}

inline std::string all_byte_values() {
  std::string s(256, '\0');
  for (int i = 0; i < 256; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return s;
}

}  // namespace tsproxy::lambda::testing
