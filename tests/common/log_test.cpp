// The structured log line, as written to stderr: the text format's and Lambda's
// JSON format's fields, each value type's JSON (doubles with three decimals,
// nullptr as null), and levels below the threshold unwritten.

#include "common/log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace tsproxy::lambda {
namespace {

// Runs `write_lines` with stderr redirected to a temporary file and returns
// what was written.
template <typename F>
std::string captured_stderr(F write_lines) {
  std::FILE* file = std::tmpfile();
  EXPECT_NE(file, nullptr);
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(::fileno(file), STDERR_FILENO);
  write_lines();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string out;
  std::rewind(file);
  char buffer[512];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;) out.append(buffer, n);
  std::fclose(file);
  return out;
}

class LogLine : public ::testing::Test {
 protected:
  void TearDown() override {
    set_log_format(log_format::text);
    set_log_level(log_level::info);
  }
};

TEST_F(LogLine, TextFormatWritesLevelMessageAndEachFieldInOrder) {
  const auto out = captured_stderr([] {
    log(log_level::warn, "invoke",
        {{"request_id", std::string_view("r-1")},
         {"status", std::int64_t{502}},
         {"total_ms", 1.23456},
         {"killed", false},
         {"handoff_to_response_ms", nullptr}});
  });
  EXPECT_EQ(
      out,
      R"({"level":"WARN","msg":"invoke","request_id":"r-1","status":502,"total_ms":1.235,"killed":false,)"
      R"("handoff_to_response_ms":null})"
      "\n");
}

TEST_F(LogLine, FieldsChosenWhileBuildingAreWrittenLikeAListOfThem) {
  std::vector<log_field> fields{{"environment", std::int64_t{1}}};
  fields.push_back({"error_type", std::string_view("Sandbox.Timedout")});
  const auto out = captured_stderr([&] { log(log_level::error, "timeout", fields); });
  EXPECT_EQ(out,
            "{\"level\":\"ERROR\",\"msg\":\"timeout\",\"environment\":1,"
            "\"error_type\":\"Sandbox.Timedout\"}\n");
}

TEST_F(LogLine, LambdasJsonFormatStartsWithItsFieldsAndNamesTheRequestIdAsLambdaDoes) {
  set_log_format(log_format::json);
  const auto out = captured_stderr([] {
    log(log_level::info, "proxied", {{"request_id", std::string_view("r-2")}});
  });
  // {"timestamp":"2026-12-07T07:47:00.123Z","level":"INFO","message":"proxied","requestId":"r-2"}
  ASSERT_GT(out.size(), 40u) << out;
  EXPECT_TRUE(out.starts_with(R"({"timestamp":")") && out[37] == 'Z') << out;
  EXPECT_EQ(out.substr(38), R"(","level":"INFO","message":"proxied","requestId":"r-2"})"
                            "\n");
}

TEST_F(LogLine, LinesBelowTheLevelAreNotWritten) {
  set_log_level(log_level::warn);
  const auto out = captured_stderr([] {
    log(log_level::info, "init");
    log(log_level::warn, "throttled");
  });
  EXPECT_EQ(out, "{\"level\":\"WARN\",\"msg\":\"throttled\"}\n");
}

}  // namespace
}  // namespace tsproxy::lambda
