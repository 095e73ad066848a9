#include "common/api_request.hpp"

#include <utility>

#include "tsproxy/engine/http_writer.hpp"

namespace tsproxy::lambda {

std::string request_head(const upstream_target& api, const http_request& request) {
  std::string head;
  head.reserve(256);
  append_request_head(head, request, api);
  return head;
}

request_bytes request_with_body(const upstream_target& api, std::string_view method, std::string target,
                                std::vector<header_view> headers, std::string body) {
  request_bytes out;
  out.body = std::move(body);
  out.head = request_head(api, {method, std::move(target), std::move(headers), out.body});
  return out;
}

}  // namespace tsproxy::lambda
