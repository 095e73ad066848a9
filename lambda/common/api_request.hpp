#pragma once
// The bytes of one HTTP request to an API, as a value: the request builders of the Runtime API, the
// Extensions API and Secrets Manager return it, and their clients only move it, the head and the body as
// two buffers of one gather write. Pure: no I/O, so each builder is tested as a value.

#include <string>
#include <string_view>
#include <vector>

#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

struct request_bytes {
  std::string head;
  std::string body;
};

// The head of `request` for `api`: request line, the request's headers, Host naming `api` unless the
// request names one, then Content-Length for the body (or chunked framing). The body is not copied.
std::string request_head(const upstream_target& api, const http_request& request);

// A whole request whose body is built by the caller: the body is moved in and the head framed for it.
request_bytes request_with_body(const upstream_target& api, std::string_view method, std::string target,
                                std::vector<header_view> headers, std::string body);

}  // namespace tsproxy::lambda
