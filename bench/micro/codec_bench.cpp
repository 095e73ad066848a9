// Microbenchmarks of the per-request hot paths that need no I/O: event parsing, routing, request
// serialisation, response parsing, response encoding, base64 and UTF-8 validation.

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <string>

#include "adapter/base64.hpp"
#include "adapter/function_url_event.hpp"
#include "adapter/response_encoding.hpp"
#include "adapter/routing.hpp"
#include "tsproxy/engine/http_parser.hpp"
#include "tsproxy/engine/http_writer.hpp"

namespace {

using namespace tsproxy;
using namespace tsproxy::lambda;

std::string binary_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return s;
}

std::string text_bytes(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

// A realistic Function URL event: SigV4 headers, routing headers, cookies, a query string.
std::string function_url_event(std::string_view body, bool base64) {
  std::string e =
      R"({"version":"2.0","routeKey":"$default","rawPath":"/api/v1/items","rawQueryString":"a=1&b=%20x%2F",)"
      R"("cookies":["session=abc123","theme=dark"],"headers":{"accept":"application/json",)"
      R"("authorization":"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261123/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef",)"
      R"("content-type":"application/octet-stream","host":"abc.lambda-url.us-east-1.on.aws",)"
      R"("ts-target-ip":"100.101.102.103","ts-target-port":"8080","ts-metric-service":"orders",)"
      R"("user-agent":"aws-sdk-js/3","x-amz-date":"20261123T120000Z","x-amz-security-token":"IQoJb3JpZ2luX2VjEJr",)"
      R"("x-amzn-trace-id":"Root=1-6565a1b2-0123456789abcdef01234567","x-forwarded-for":"10.0.0.1",)"
      R"("x-forwarded-port":"443","x-forwarded-proto":"https"},"requestContext":{"accountId":"123456789012",)"
      R"("apiId":"abc","domainName":"abc.lambda-url.us-east-1.on.aws","domainPrefix":"abc","http":{)"
      R"("method":"POST","path":"/api/v1/items","protocol":"HTTP/1.1","sourceIp":"10.0.0.1",)"
      R"("userAgent":"aws-sdk-js/3"},"requestId":"7d1e-42","routeKey":"$default","stage":"$default",)"
      R"("time":"23/Nov/2026:12:00:00 +0000","timeEpoch":1795435200000},"body":")";
  e += base64 ? base64_encode(body) : std::string(body);
  e += R"(","isBase64Encoded":)";
  e += base64 ? "true" : "false";
  e += "}";
  return e;
}

void event_parse(benchmark::State& state, std::size_t body_bytes) {
  const std::string event = function_url_event(binary_bytes(body_bytes), true);
  event_parser parser;
  function_url_request request;
  for (auto _ : state) {
    if (parser.parse(event, request)) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(request.body.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * event.size()));
}
BENCHMARK_CAPTURE(event_parse, small_event, 0);
BENCHMARK_CAPTURE(event_parse, base64_body_1MiB, 1 << 20);

void event_parse_and_route(benchmark::State& state) {
  const std::string event = function_url_event("item=42&note=plain+text", false);
  event_parser parser;
  function_url_request request;
  routed_request route;
  for (auto _ : state) {
    if (parser.parse(event, request) || route_request(request, nullptr, route)) state.SkipWithError("failed");
    benchmark::DoNotOptimize(route.headers.data());
  }
}
BENCHMARK(event_parse_and_route);

void request_serialisation(benchmark::State& state) {
  const upstream_target target{"100.101.102.103", 8080, false, {}};
  const http_request request{"POST",
                             "/api/v1/items?a=1&b=%20x%2F",
                             {{"host", "100.101.102.103:8080"},
                              {"accept", "application/json"},
                              {"content-type", "application/json"},
                              {"user-agent", "aws-sdk-js/3"},
                              {"x-amzn-trace-id", "Root=1-6565a1b2-0123456789abcdef01234567"},
                              {"cookie", "session=abc123; theme=dark"}},
                             "{\"item\":42}"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    append_request_head(out, request, target);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(request_serialisation);

std::string response_bytes(std::size_t body_bytes, bool chunked) {
  std::string r =
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Mon, 23 Nov 2026 12:00:00 GMT\r\n"
      "Content-Type: application/octet-stream\r\nConnection: keep-alive\r\nETag: \"abc\"\r\n";
  const std::string body = binary_bytes(body_bytes);
  if (!chunked) {
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    return r;
  }
  r += "Transfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += 16384) {
    const auto piece = body.substr(at, 16384);
    std::string header;
    append_chunk_header(header, piece.size());
    r += header + piece + "\r\n";
  }
  r += "0\r\n\r\n";
  return r;
}

void response_parse(benchmark::State& state, std::size_t body_bytes, bool chunked) {
  const std::string bytes = response_bytes(body_bytes, chunked);
  http_parser parser(http_parser::kind::response, http_limits{});
  for (auto _ : state) {
    parser.reset();
    std::string_view in = bytes;
    std::size_t body = 0;
    for (;;) {
      std::error_code ec;
      const auto step = parser.parse(in, ec);
      if (ec) state.SkipWithError("parse failed");
      in.remove_prefix(step.consumed);
      body += step.body.size();
      if (ec || step.what == http_parser::event::done) break;
    }
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK_CAPTURE(response_parse, content_length_100B, 100, false);
BENCHMARK_CAPTURE(response_parse, content_length_1MiB, 1 << 20, false);
BENCHMARK_CAPTURE(response_parse, chunked_1MiB, 1 << 20, true);

void base64_encode_bench(benchmark::State& state) {
  const std::string in = binary_bytes(1 << 20);
  std::string out;
  for (auto _ : state) {
    out.clear();
    base64_encode_append(out, in);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}
BENCHMARK(base64_encode_bench)->Name("base64_encode_1MiB");

void base64_decode_bench(benchmark::State& state) {
  const std::string in = base64_encode(binary_bytes(1 << 20));
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!base64_decode(in, out)) state.SkipWithError("decode failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}
BENCHMARK(base64_decode_bench)->Name("base64_decode_1MiB");

void utf8_validation(benchmark::State& state) {
  const std::string in = text_bytes(1 << 20);
  for (auto _ : state) benchmark::DoNotOptimize(simdjson::validate_utf8(in.data(), in.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.size()));
}
BENCHMARK(utf8_validation)->Name("utf8_validate_1MiB");

void buffered_response_encoding(benchmark::State& state, std::size_t body_bytes, bool binary) {
  response_head head;
  head.status = 200;
  head.reason = "OK";
  head.headers = {{"Content-Type", binary ? "application/octet-stream" : "text/plain"},
                  {"Set-Cookie", "a=1; Path=/"},
                  {"Set-Cookie", "b=2; Path=/"},
                  {"Cache-Control", "no-cache"},
                  {"Content-Length", std::to_string(body_bytes)}};
  const std::string body = binary ? binary_bytes(body_bytes) : text_bytes(body_bytes);
  std::string out;
  for (auto _ : state) {
    if (!encode_buffered_response(head, body, max_buffered_payload_bytes, out))
      state.SkipWithError("too large");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}
BENCHMARK_CAPTURE(buffered_response_encoding, text_100B, 100, false);
BENCHMARK_CAPTURE(buffered_response_encoding, text_10KiB, 10 * 1024, false);
BENCHMARK_CAPTURE(buffered_response_encoding, binary_1MiB, 1 << 20, true);

}  // namespace
