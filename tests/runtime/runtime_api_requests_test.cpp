// The Runtime API requests as values: each builder's bytes, exactly.

#include "runtime/runtime_api_requests.hpp"

#include <gtest/gtest.h>

#include "adapter/base64.hpp"

namespace tsproxy::lambda::runtime_api {
namespace {

const upstream_target api{"127.0.0.1", 9001};

TEST(RuntimeApiRequests, NextIsAPlainGet) {
  EXPECT_EQ(next_request(api),
            "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "\r\n");
}

TEST(RuntimeApiRequests, ResponseHeadIsFramedForThePayloadThatFollows) {
  const std::string payload = R"({"statusCode":200})";
  EXPECT_EQ(response_head(api, "8476a536-e9f4-11e8-9739-2dfe598c3fcd", payload),
            "POST /2018-06-01/runtime/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response HTTP/1.1\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "Content-Length: 18\r\n"
            "\r\n");
  EXPECT_EQ(response_head(api, "id", ""),
            "POST /2018-06-01/runtime/invocation/id/response HTTP/1.1\r\nHost: 127.0.0.1:9001\r\n"
            "Content-Length: 0\r\n\r\n");
}

TEST(RuntimeApiRequests, InvocationErrorCarriesTheTypeHeaderAndTheErrorDocument) {
  const auto r = error_request(api, "id-1", "Runtime.Oops", "it \"broke\"");
  EXPECT_EQ(r.body, R"({"errorMessage":"it \"broke\"","errorType":"Runtime.Oops","stackTrace":[]})");
  EXPECT_EQ(r.head,
            "POST /2018-06-01/runtime/invocation/id-1/error HTTP/1.1\r\n"
            "Lambda-Runtime-Function-Error-Type: Runtime.Oops\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "Content-Length: " +
                std::to_string(r.body.size()) +
                "\r\n"
                "\r\n");
}

TEST(RuntimeApiRequests, InitErrorGoesToTheInitPath) {
  const auto r = init_error_request(api, "Runtime.InvalidConfiguration", "TSPROXY_THREADS must be a number");
  EXPECT_EQ(
      r.body,
      R"({"errorMessage":"TSPROXY_THREADS must be a number","errorType":"Runtime.InvalidConfiguration","stackTrace":[]})");
  EXPECT_EQ(r.head,
            "POST /2018-06-01/runtime/init/error HTTP/1.1\r\n"
            "Lambda-Runtime-Function-Error-Type: Runtime.InvalidConfiguration\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "Content-Length: " +
                std::to_string(r.body.size()) +
                "\r\n"
                "\r\n");
}

TEST(RuntimeApiRequests, StreamHeadDeclaresStreamingChunkingAndTheErrorTrailers) {
  EXPECT_EQ(stream_head(api, "id-2", 300),
            "POST /2018-06-01/runtime/invocation/id-2/response HTTP/1.1\r\n"
            "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
            "Content-Type: application/vnd.awslambda.http-integration-response\r\n"
            "Trailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n"
            "12c\r\n");  // the prelude's chunk: 300 bytes
}

TEST(RuntimeApiRequests, AChunkedBufferedResponseHasNoResponseModeAndNoTrailers) {
  EXPECT_EQ(chunked_response_head(api, "id-3", 9),
            "POST /2018-06-01/runtime/invocation/id-3/response HTTP/1.1\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "Transfer-Encoding: chunked\r\n"
            "\r\n"
            "9\r\n");  // the first chunk's size line
}

TEST(RuntimeApiRequests, ChunkHeadsAreHex) {
  EXPECT_EQ(chunk_head(1), "1\r\n");
  EXPECT_EQ(chunk_head(255), "ff\r\n");
  EXPECT_EQ(chunk_head(65536), "10000\r\n");
}

TEST(RuntimeApiRequests, StreamFailureIsTheLastChunkWithBothTrailers) {
  const auto end = stream_failure_end("Socks5ConnectionRefused", "the target refused the connection");
  const std::string prefix =
      "0\r\nLambda-Runtime-Function-Error-Type: Socks5ConnectionRefused\r\n"
      "Lambda-Runtime-Function-Error-Body: ";
  ASSERT_EQ(end.substr(0, prefix.size()), prefix);
  ASSERT_EQ(end.substr(end.size() - 4), "\r\n\r\n");
  std::string body;
  ASSERT_TRUE(base64_decode(end.substr(prefix.size(), end.size() - prefix.size() - 4), body));
  EXPECT_EQ(
      body,
      R"({"errorMessage":"the target refused the connection","errorType":"Socks5ConnectionRefused","stackTrace":[]})");
}

TEST(RuntimeApiRequests, RequestIdsThatCouldLeaveThePathAreRefused) {
  EXPECT_TRUE(is_valid_request_id("8476a536-e9f4-11e8-9739-2dfe598c3fcd"));
  EXPECT_TRUE(is_valid_request_id("local-1"));
  for (const std::string_view bad : {"", "a/b", "a b", "a\r\nX: y", "../next", "id?x=1", "id#x", "%2F"}) {
    EXPECT_FALSE(is_valid_request_id(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_request_id(std::string(129, 'a')));
}

}  // namespace
}  // namespace tsproxy::lambda::runtime_api
