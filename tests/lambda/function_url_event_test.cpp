#include "adapter/function_url_event.hpp"

#include <gtest/gtest.h>

#include "adapter/base64.hpp"
#include "test_support.hpp"

namespace tsproxy::lambda {
namespace {

std::string_view header(const function_url_request& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name == name) return h.value;
  }
  ADD_FAILURE() << "no header " << name;
  return {};
}

TEST(FunctionUrlEvent, ParsesGetWithQueryCookiesAndHeaders) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("get_with_query.json"), r));
  EXPECT_FALSE(r.is_warmer);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.raw_path, "/api/v1/items");
  EXPECT_EQ(r.raw_query, "a=1&b=%20x%2F");  // stays URL-encoded
  EXPECT_EQ(r.request_id, "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
  EXPECT_EQ(r.source_ip, "198.51.100.7");
  EXPECT_EQ(r.time_epoch_ms, 1710270238390);
  ASSERT_EQ(r.cookies.size(), 2u);
  EXPECT_EQ(r.cookies[0], "session=abc123");
  EXPECT_EQ(r.cookies[1], "theme=dark");
  EXPECT_EQ(r.headers.size(), 17u);
  EXPECT_EQ(r.headers.front().name, "accept");  // event order kept
  EXPECT_EQ(header(r, "x-amzn-trace-id"), "Root=1-65f0a7ee-5f302e550dcde3b12402207d");
  EXPECT_EQ(header(r, "x-forwarded-for"), "198.51.100.7");
  EXPECT_EQ(header(r, "ts-target-ip"), "100.101.102.103");
  EXPECT_EQ(header(r, "x-custom"), "line \"quoted\" \xc3\xa9\xe4\xb8\xad");  // JSON-unescaped, UTF-8
  EXPECT_TRUE(r.body.empty());
}

TEST(FunctionUrlEvent, CarriesTheCallerAwsVerified) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("put_text_body.json"), r));
  EXPECT_TRUE(r.caller.present());
  EXPECT_EQ(r.caller.account_id, "111122223333");
  EXPECT_EQ(r.caller.user_arn, "arn:aws:iam::111122223333:user/example-user");
  EXPECT_EQ(r.caller.user_id, "AIDACKCEVSQ6C2EXAMPLE");
  EXPECT_EQ(r.caller.caller_id, "AIDACKCEVSQ6C2EXAMPLE");
  EXPECT_EQ(r.caller.principal_org_id, "") << "null: not in an organization";
  // AuthType NONE: no authorizer, and nothing left from the last event.
  ASSERT_FALSE(
      parser.parse(R"({"version":"2.0","rawPath":"/","requestContext":{"http":{"method":"GET"}}})", r));
  EXPECT_FALSE(r.caller.present());
  EXPECT_EQ(r.caller.account_id, "");
}

TEST(FunctionUrlEvent, KeyOrderDoesNotMatter) {
  event_parser p1, p2;
  function_url_request a, b;
  const std::string first = testing::read_fixture("get_with_query.json");
  const std::string second = testing::read_fixture("get_with_query_reordered.json");
  ASSERT_NE(first, second);
  ASSERT_FALSE(p1.parse(first, a));
  ASSERT_FALSE(p2.parse(second, b));
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.raw_path, b.raw_path);
  EXPECT_EQ(a.raw_query, b.raw_query);
  EXPECT_EQ(a.request_id, b.request_id);
  EXPECT_EQ(a.source_ip, b.source_ip);
  EXPECT_EQ(a.time_epoch_ms, b.time_epoch_ms);
  EXPECT_EQ(a.cookies, b.cookies);
  EXPECT_EQ(a.body, b.body);
  ASSERT_EQ(a.headers.size(), b.headers.size());
  // The reordered fixture lists the headers in reverse.
  for (std::size_t i = 0; i < a.headers.size(); ++i) {
    const auto& ha = a.headers[i];
    const auto& hb = b.headers[b.headers.size() - 1 - i];
    EXPECT_EQ(ha.name, hb.name);
    EXPECT_EQ(ha.value, hb.value);
  }
}

TEST(FunctionUrlEvent, DecodesBase64BodyByteExact) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("post_base64_all_bytes.json"), r));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.raw_query, "");
  EXPECT_TRUE(r.cookies.empty());  // no cookies key at all
  EXPECT_EQ(r.body, testing::all_byte_values());
  EXPECT_EQ(header(r, "ts-target-host"), "files.tailnet-abc.ts.net");
}

TEST(FunctionUrlEvent, UnescapesTextBody) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("put_text_body.json"), r));
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.body, "{\"k\":\"v\\n\xc3\xa9\",\n\t\"emoji\":\"\xf0\x9f\x98\x80\"}");
}

TEST(FunctionUrlEvent, DetectsWarmer) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("warmer.json"), r));
  EXPECT_TRUE(r.is_warmer);
  EXPECT_EQ(r.warmer_index, 2);
  EXPECT_TRUE(r.method.empty());
}

TEST(FunctionUrlEvent, ReusedParserAndRequestGiveFreshResults) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(testing::read_fixture("post_base64_all_bytes.json"), r));
  ASSERT_FALSE(parser.parse(testing::read_fixture("warmer.json"), r));
  EXPECT_TRUE(r.is_warmer);
  EXPECT_TRUE(r.headers.empty());
  EXPECT_TRUE(r.body.empty());
  ASSERT_FALSE(parser.parse(testing::read_fixture("get_with_query.json"), r));
  EXPECT_FALSE(r.is_warmer);
  EXPECT_EQ(r.headers.size(), 17u);
  EXPECT_EQ(r.cookies.size(), 2u);
  // A shorter event after a longer one: stale bytes in the buffer must not leak in.
  ASSERT_FALSE(parser.parse(R"({"requestContext":{"http":{"method":"DELETE"}},"rawPath":"/x"})", r));
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.raw_path, "/x");
  EXPECT_TRUE(r.headers.empty());
  EXPECT_TRUE(r.cookies.empty());
}

TEST(FunctionUrlEvent, ParsePaddedReadsCallerBuffer) {
  std::string buffer = testing::read_fixture("put_text_body.json");
  const std::size_t size = buffer.size();
  buffer.resize(size + event_parser::padding, '}');  // arbitrary padding bytes, even a '}'
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse_padded(std::string_view(buffer.data(), size), buffer.size(), r));
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.raw_path, "/doc");
}

TEST(FunctionUrlEvent, NullAndMissingOptionalFields) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(
      R"({"version":"2.0","requestContext":{"http":{"method":"GET","sourceIp":null}},"headers":null,)"
      R"("cookies":null,"body":null,"isBase64Encoded":null,"rawQueryString":null})",
      r));
  EXPECT_EQ(r.method, "GET");
  EXPECT_TRUE(r.raw_path.empty());
  EXPECT_TRUE(r.headers.empty());
  EXPECT_TRUE(r.body.empty());
}

TEST(FunctionUrlEvent, EmptyBase64Body) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(
      parser.parse(R"({"requestContext":{"http":{"method":"POST"}},"body":"","isBase64Encoded":true})", r));
  EXPECT_TRUE(r.body.empty());
}

TEST(FunctionUrlEvent, IsBase64EncodedBeforeBody) {
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(
      R"({"isBase64Encoded":true,"body":"Zm9vYmFy","requestContext":{"http":{"method":"POST"}}})", r));
  EXPECT_EQ(r.body, "foobar");
}

struct malformed_case {
  const char* json;
  event_error expected;
};

TEST(FunctionUrlEvent, RejectsMalformedEvents) {
  const malformed_case cases[] = {
      {"", event_error::invalid_json},
      {"{", event_error::invalid_json},
      {R"({"requestContext":{"http":{"method":"GET"}})", event_error::invalid_json},  // unclosed
      {R"({"requestContext":{"http":{"method":"GET"}}} trailing)", event_error::invalid_json},
      {R"({"requestContext":{"http":{"method":"GET"}}}{})", event_error::invalid_json},
      {"{\"requestContext\":{\"http\":{\"method\":\"GET\"}},\"body\":\"\xff\"}", event_error::invalid_json},
      {R"([1,2,3])", event_error::not_an_object},
      {R"("just a string")", event_error::not_an_object},
      {R"({})", event_error::missing_method},
      {R"({"requestContext":{"http":{}}})", event_error::missing_method},
      {R"({"requestContext":{"http":{"method":""}}})", event_error::missing_method},
      {R"({"warmer":false})", event_error::missing_method},
      {R"({"version":"1.0","requestContext":{"http":{"method":"GET"}}})", event_error::unsupported_version},
      {R"({"requestContext":{"http":{"method":42}}})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"GET"}},"headers":[]})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"GET"}},"headers":{"a":1}})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"GET"}},"cookies":"a=b"})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"GET"}},"cookies":[1]})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"GET"}},"body":{}})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"GET"}},"isBase64Encoded":"true"})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"GET"},"timeEpoch":"now"}})", event_error::wrong_type},
      {R"({"requestContext":"ctx"})", event_error::wrong_type},
      {R"({"warmer":"yes"})", event_error::wrong_type},
      {R"({"requestContext":{"http":{"method":"POST"}},"body":"Zm9v!","isBase64Encoded":true})",
       event_error::bad_base64},
      {R"({"requestContext":{"http":{"method":"POST"}},"body":"Zm9vY","isBase64Encoded":true})",
       event_error::bad_base64},
  };
  event_parser parser;
  function_url_request r;
  for (const auto& c : cases) {
    const std::error_code ec = parser.parse(c.json, r);
    EXPECT_EQ(ec, make_error_code(c.expected)) << c.json << " -> " << ec.message();
  }
  // The parser stays usable after errors.
  ASSERT_FALSE(parser.parse(testing::read_fixture("get_with_query.json"), r));
  EXPECT_EQ(r.method, "GET");
}

TEST(FunctionUrlEvent, ErrorNamesAndMessages) {
  EXPECT_EQ(event_error_name(make_error_code(event_error::bad_base64)), "InvalidBase64Body");
  EXPECT_EQ(event_error_name(make_error_code(event_error::missing_method)), "MissingMethod");
  EXPECT_EQ(event_error_name(std::make_error_code(std::errc::io_error)), "InvalidEvent");
  EXPECT_EQ(std::error_code(event_error::invalid_json).category().name(),
            std::string("tsproxy.lambda.event"));
  EXPECT_FALSE(make_error_code(event_error::wrong_type).message().empty());
}

TEST(FunctionUrlEvent, LargeBase64Body) {
  // A 4 MiB binary body, as a realistic upper-range payload.
  std::string body(4 << 20, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>((i * 131) ^ (i >> 7));
  std::string event = R"({"requestContext":{"http":{"method":"PUT"}},"isBase64Encoded":true,"body":")";
  event += base64_encode(body);
  event += "\"}";
  event_parser parser;
  function_url_request r;
  ASSERT_FALSE(parser.parse(event, r));
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body);
}

}  // namespace
}  // namespace tsproxy::lambda
