#include "runtime/runtime_api_requests.hpp"

#include <algorithm>

#include "adapter/base64.hpp"
#include "adapter/error_json.hpp"
#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/http_writer.hpp"

namespace tsproxy::lambda::runtime_api {

namespace {

std::string invocation_path(std::string_view request_id, std::string_view what) {
  std::string path(path_prefix);
  path.append("invocation/");
  path.append(request_id);
  path.push_back('/');
  path.append(what);
  return path;
}

request_bytes error_post(const upstream_target& api, std::string path, std::string_view error_type,
                         std::string_view message) {
  return request_with_body(api, "POST", std::move(path), {{error_type_header, error_type}},
                           error_json(error_type, message, true));
}

// POST invocation/{id}/response with chunked framing, and the first chunk's size line.
std::string chunked_post_head(const upstream_target& api, std::string_view request_id,
                              std::vector<header_view> headers, std::size_t first_chunk_size) {
  const http_request request{"POST", invocation_path(request_id, "response"), std::move(headers), {}, true};
  std::string head = request_head(api, request);
  append_chunk_header(head, first_chunk_size);
  return head;
}

}  // namespace

bool is_valid_request_id(std::string_view request_id) noexcept {
  return !request_id.empty() && request_id.size() <= 128 &&
         std::all_of(request_id.begin(), request_id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                  c == '_' || c == '.';
         });
}

std::string next_request(const upstream_target& api) {
  return request_head(api, {"GET", std::string(path_prefix) + "invocation/next", {}, {}});
}

std::string response_head(const upstream_target& api, std::string_view request_id, std::string_view payload) {
  return request_head(api, {"POST", invocation_path(request_id, "response"), {}, payload});
}

request_bytes error_request(const upstream_target& api, std::string_view request_id,
                            std::string_view error_type, std::string_view message) {
  return error_post(api, invocation_path(request_id, "error"), error_type, message);
}

request_bytes init_error_request(const upstream_target& api, std::string_view error_type,
                                 std::string_view message) {
  return error_post(api, std::string(path_prefix) + "init/error", error_type, message);
}

std::string chunked_response_head(const upstream_target& api, std::string_view request_id,
                                  std::size_t first_chunk_size) {
  return chunked_post_head(api, request_id, {}, first_chunk_size);
}

std::string stream_head(const upstream_target& api, std::string_view request_id, std::size_t prelude_size) {
  const std::string trailers = std::string(error_type_header) + ", " + std::string(error_body_header);
  return chunked_post_head(api, request_id,
                           {{"Lambda-Runtime-Function-Response-Mode", "streaming"},
                            {"Content-Type", "application/vnd.awslambda.http-integration-response"},
                            {"Trailer", trailers}},
                           prelude_size);
}

std::string chunk_head(std::size_t size) {
  std::string out;
  append_chunk_header(out, size);
  return out;
}

std::string stream_failure_end(std::string_view error_type, std::string_view message) {
  std::string out = "0\r\n";
  out.append(error_type_header);
  out.append(": ");
  out.append(error_type);
  out.append("\r\n");
  out.append(error_body_header);
  out.append(": ");
  base64_encode_append(out, error_json(error_type, message, true));
  out.append("\r\n\r\n");
  return out;
}

}  // namespace tsproxy::lambda::runtime_api
