#include "tsproxy/engine/http_writer.hpp"

#include <charconv>

#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy {

namespace {

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void append_number(std::string& out, std::uint64_t value, int base = 10) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value, base);
  out.append(digits, end);
}

bool method_carries_body(std::string_view method) noexcept {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

void append_request_head(std::string& out, const http_request& request, const upstream_target& target) {
  out.append(request.method);
  out.push_back(' ');
  out.append(request.target.empty() ? std::string_view("/") : std::string_view(request.target));
  out.append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& h : request.headers) {
    has_host = has_host || iequals(h.name, "host");
    append_header(out, h.name, h.value);
  }
  if (!has_host) {
    out.append("Host: ");
    append_host(out, target.host, target.port, target.tls);
    out.append("\r\n");
  }
  if (request.chunked) {
    out.append("Transfer-Encoding: chunked\r\n");
  } else if (!request.body.empty() || method_carries_body(request.method)) {
    out.append("Content-Length: ");
    append_number(out, request.body.size());
    out.append("\r\n");
  }
  out.append("\r\n");
}

void append_response_head(std::string& out, int status, std::string_view reason,
                          const std::vector<header_view>& headers) {
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<std::uint64_t>(status));
  out.push_back(' ');
  out.append(reason.empty() ? reason_phrase(status) : reason);
  out.append("\r\n");
  for (const auto& h : headers) append_header(out, h.name, h.value);
  out.append("\r\n");
}

void append_chunk_header(std::string& out, std::size_t size) {
  append_number(out, size, 16);
  out.append("\r\n");
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

}  // namespace tsproxy
