// Events as event/next delivers them (Lambda's documented shapes), parsed in place.

#include "extension/extension_event.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tsproxy::extension {
namespace {

std::optional<extension_event> parse(std::string json) {
  json.reserve(json.size() + extension_event_padding);
  return parse_extension_event(json);
}

TEST(ExtensionEvent, InvokeHasItsDeadlineAndRequestId) {
  const auto event = parse(
      R"({"eventType":"INVOKE","deadlineMs":1700000000123,"requestId":"3da1f2dc-3222-475e-9205-e2e6c6318895",)"
      R"("invokedFunctionArn":"arn:aws:lambda:us-east-1:123456789012:function:f",)"
      R"("tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-5f35ae12"}})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, event_type::invoke);
  EXPECT_EQ(event->deadline_epoch_ms, 1700000000123);
  EXPECT_EQ(event->request_id, "3da1f2dc-3222-475e-9205-e2e6c6318895");
}

TEST(ExtensionEvent, ShutdownHasItsReasonAndDeadline) {
  const auto event =
      parse(R"({"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":1700000002000})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, event_type::shutdown);
  EXPECT_EQ(event->shutdown_reason, "spindown");
  EXPECT_EQ(event->deadline_epoch_ms, 1700000002000);
  const auto fractional = parse(R"({"deadlineMs":1700000002000.7,"eventType":"SHUTDOWN"})");
  ASSERT_TRUE(fractional);
  EXPECT_EQ(fractional->deadline_epoch_ms, 1700000002000);
}

TEST(ExtensionEvent, AnythingElseIsNotAnEvent) {
  for (const char* doc :
       {"", "null", "[]", "{}", R"({"eventType":"RESTORE"})", R"({"eventType":1})",
        R"({"eventType":"INVOKE","deadlineMs":"soon"})", R"({"eventType":"INVOKE")",
        // Found by fuzz_extension_json: a deadline beyond int64 was converted regardless
        // (undefined behaviour).
        R"({"eventType":"SHUTDOWN","deadlineMs":1.7e44})", R"({"eventType":"INVOKE","deadlineMs":-1e300})"}) {
    EXPECT_FALSE(parse(doc)) << doc;
  }
}

}  // namespace
}  // namespace tsproxy::extension
