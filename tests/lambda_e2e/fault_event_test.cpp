// Fault matrix, the event's rows: malformed, truncated and huge invocation events (raw invocations through
// tsproxy-local's direct-invoke endpoint, as `aws lambda invoke` sends them), and header injection: CR, LF
// or NUL in names and values, oversized headers. A refused request never reaches the target.

#include <gtest/gtest.h>

#include "fault_matrix.hpp"

namespace tsproxy::test {
namespace {

class EventFault : public FaultMatrix {
 protected:
  local_stack stack_{socks_address()};
  pid_t pid_ = stack_.bootstrap_pid();

  // A Function URL event (payload 2.0) to the upstream; `headers` and `extra` are JSON members to add.
  std::string event(std::string_view method, std::string_view raw_path, std::string_view raw_query = "",
                    std::string_view headers = "", std::string_view extra = "") const {
    std::string e = R"({"version":"2.0","rawPath":")" + std::string(raw_path) + R"(","rawQueryString":")" +
                    std::string(raw_query) + R"(","headers":{"ts-target-ip":"127.0.0.1","ts-target-port":")" +
                    std::to_string(python_.port()) + "\"";
    if (!headers.empty()) e += "," + std::string(headers);
    e += R"(},"requestContext":{"http":{"method":")" + std::string(method) + R"("}},"isBase64Encoded":false)";
    if (!extra.empty()) e += "," + std::string(extra);
    return e + "}";
  }

  // The event is refused with 400 `name`, the target never sees it, and the runtime serves the next request.
  void expect_refused(const std::string& event_json, std::string_view name) {
    const auto requests_before = python_.requests_served();
    EXPECT_TRUE(is_proxy_error_result(stack_.invoke_raw(event_json), 400, name));
    EXPECT_EQ(python_.requests_served(), requests_before) << "a refused request reached the target";
    EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
  }
};

// ---- malformed and truncated events ----------------------------------------------------------------------

TEST_F(EventFault, NotJsonIs400) {
  // The parser reads no further than the first byte, which begins no object.
  expect_refused("this is not json", "EventNotAnObject");
  expect_refused("{this is not json}", "InvalidEventJson");
}

TEST_F(EventFault, AnEmptyEventIs400InvalidEventJson) {
  expect_refused("", "InvalidEventJson");
}

TEST_F(EventFault, InvalidUtf8Is400InvalidEventJson) {
  expect_refused(event("GET", "/echo", "", "\"x-bytes\":\"\xff\xfe\""), "InvalidEventJson");
}

TEST_F(EventFault, JsonThatIsNoObjectIs400EventNotAnObject) {
  expect_refused("[1,2,3]", "EventNotAnObject");
}

TEST_F(EventFault, AnotherPayloadVersionIs400) {
  auto e = event("GET", "/echo");
  e.replace(e.find("2.0"), 3, "1.0");
  expect_refused(e, "UnsupportedEventVersion");
}

TEST_F(EventFault, AnEventWithoutAMethodIs400MissingMethod) {
  expect_refused(R"({"version":"2.0","rawPath":"/echo","headers":{}})", "MissingMethod");
}

TEST_F(EventFault, AFieldOfTheWrongTypeIs400InvalidEventField) {
  expect_refused(
      R"({"version":"2.0","rawPath":"/echo","headers":"nope","requestContext":{"http":{"method":"GET"}}})",
      "InvalidEventField");
}

TEST_F(EventFault, ABodyThatIsNotBase64Is400InvalidBase64Body) {
  auto e = event("POST", "/echo", "", "", R"("body":"!!! not base64 !!!")");
  e.replace(e.find("\"isBase64Encoded\":false"), 23, "\"isBase64Encoded\":true");
  expect_refused(e, "InvalidBase64Body");
}

TEST_F(EventFault, ATruncatedEventIs400InvalidEventJsonWhereverItIsCut) {
  const auto whole = event("POST", "/echo", "a=1", R"("x-custom":"value")", R"("body":"hello")");
  for (const std::size_t keep : {std::size_t{1}, whole.size() / 4, whole.size() / 2, whole.size() - 1}) {
    SCOPED_TRACE("first " + std::to_string(keep) + " bytes");
    expect_refused(whole.substr(0, keep), "InvalidEventJson");
  }
}

TEST_F(EventFault, DeeplyNestedJsonIsSkippedOrRefused) {
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  // Where a field the proxy reads should be: the wrong type.
  expect_refused(R"({"version":"2.0","rawPath":"/echo","headers":)" + nested +
                     R"(,"requestContext":{"http":{"method":"GET"}}})",
                 "InvalidEventField");
  // Unbalanced: not JSON.
  expect_refused(event("GET", "/echo", "", "", R"("deep":)" + std::string(100000, '[')), "InvalidEventJson");
  // In a field the proxy ignores it is skipped, without recursion, like any other unknown field.
  const auto result = stack_.invoke_raw(event("GET", "/echo", "", "", R"("deep":)" + nested));
  EXPECT_NE(result.find(R"("statusCode":200)"), std::string::npos) << result.substr(0, 400);
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
}

// ---- huge events ---------------------------------------------------------------------------------------

TEST_F(EventFault, AnEventNearLambdasLimitIsProxiedWhole) {
  // 4 MiB of body, base64 in the event: 5.6 MB, under the 6 MB invocation payload limit.
  const std::size_t size = 4u << 20;
  const auto encoded = run_command_or_throw(
      {"python3", "-c",
       "import base64,sys; sys.stdout.write(base64.b64encode(bytes(i%256 for i in range(" +
           std::to_string(size) + "))).decode())"});
  auto e = event("POST", "/soak", "n=3", "", R"("body":")" + encoded + "\"");
  e.replace(e.find("\"isBase64Encoded\":false"), 23, "\"isBase64Encoded\":true");
  const auto result = stack_.invoke_raw(e);
  EXPECT_NE(result.find(R"("statusCode":200)"), std::string::npos) << result.substr(0, 400);
  EXPECT_NE(result.find(R"("x-echo-body-length":")" + std::to_string(size) + "\""), std::string::npos)
      << "the target got the body whole: " << result.substr(0, 400);
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
}

TEST_F(EventFault, AnEventOverLambdasLimitNeverReachesTheRuntime) {
  const auto result =
      stack_.invoke_raw(event("POST", "/echo", "", "", R"("body":")" + std::string(6u << 20, 'x') + "\""));
  EXPECT_NE(result.find("RequestEntityTooLargeException"), std::string::npos) << result.substr(0, 400);
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
}

TEST_F(EventFault, AnEventWithTwoThousandHeadersIsForwardedWhole) {
  std::string headers;
  for (int i = 0; i < 2000; ++i) headers += (i ? "," : "") + ("\"x-many-" + std::to_string(i) + "\":\"v\"");
  const auto result = stack_.invoke_raw(event("GET", "/echo", "", headers));
  EXPECT_NE(result.find(R"("statusCode":200)"), std::string::npos) << result.substr(0, 400);
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
}

// ---- header injection ----------------------------------------------------------------------------------

TEST_F(EventFault, CrLfInAHeaderValueIs400HeaderInjection) {
  expect_refused(event("GET", "/echo", "", R"("x-a":"v\r\nInjected: yes")"), "HeaderInjection");
}

TEST_F(EventFault, ABareLfOrCrInAHeaderValueIs400HeaderInjection) {
  expect_refused(event("GET", "/echo", "", R"("x-a":"v\nInjected: yes")"), "HeaderInjection");
  expect_refused(event("GET", "/echo", "", R"("x-a":"v\rInjected: yes")"), "HeaderInjection");
}

TEST_F(EventFault, NulInAHeaderValueIs400HeaderInjection) {
  expect_refused(event("GET", "/echo", "", R"("x-a":"v\u0000tail")"), "HeaderInjection");
}

TEST_F(EventFault, CrLfInARoutingOrRestoredHeaderIs400HeaderInjection) {
  expect_refused(event("GET", "/echo", "", R"("ts-host":"a\r\nInjected: yes")"), "HeaderInjection");
  expect_refused(event("GET", "/echo", "", R"("ts-authorization":"Bearer a\r\nInjected: yes")"),
                 "HeaderInjection");
}

TEST_F(EventFault, CrLfInACookieIs400HeaderInjection) {
  expect_refused(event("GET", "/echo", "", "", R"("cookies":["a=1\r\nInjected: yes"])"), "HeaderInjection");
}

TEST_F(EventFault, AHeaderNameThatIsNoTokenIs400InvalidHeaderName) {
  for (const std::string name : {R"(x-a\r\nInjected)", "x a", "x:a", "", R"(x\u0000a)", "x-\\u00e9"}) {
    SCOPED_TRACE(name);
    expect_refused(event("GET", "/echo", "", "\"" + name + R"(":"v")"), "InvalidHeaderName");
  }
}

TEST_F(EventFault, AMethodThatIsNoTokenIs400InvalidMethod) {
  expect_refused(event(R"(GET /evil HTTP/1.1\r\nInjected: yes\r\n)", "/echo"), "InvalidMethod");
}

TEST_F(EventFault, CrLfInThePathOrQueryIsPercentEncoded) {
  const auto result =
      stack_.invoke_raw(event("GET", "/echo", R"(a=1 HTTP/1.1\r\nInjected: yes)", R"("x-custom":"kept")"));
  EXPECT_NE(result.find(R"("statusCode":200)"), std::string::npos) << result.substr(0, 400);
  EXPECT_NE(result.find(R"("x-echo-target":"/echo?a=1%20HTTP/1.1%0D%0AInjected:%20yes")"), std::string::npos)
      << result.substr(0, 600);
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
}

// Through the Function URL itself a caller cannot send CR, LF or NUL in a header (the front door's own
// parser refuses it); what it can send is a large header.
TEST_F(EventFault, ALargeCallerHeaderIsForwarded) {
  const auto r = stack_.request("/bytes?n=10", to_python({"-H", "x-large: " + std::string(60000, 'v')}));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
}

TEST_F(EventFault, ACallerHeaderOverTheFunctionUrlsLimitNeverReachesTheRuntime) {
  const auto requests_before = python_.requests_served();
  const auto r = stack_.request("/bytes?n=10", to_python({"-H", "x-large: " + std::string(70000, 'v')}));
  EXPECT_EQ(r.status, 431) << r.body;
  EXPECT_TRUE(r.header("ts-error-name").empty()) << "refused by the Function URL, not the runtime";
  EXPECT_EQ(python_.requests_served(), requests_before);
  EXPECT_TRUE(keeps_serving(stack_, pid_, python_));
}

}  // namespace
}  // namespace tsproxy::test
