#include "adapter/response_encoding.hpp"

#include <simdjson.h>

#include <span>

#include "adapter/base64.hpp"
#include "adapter/json_writer.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::lambda {

namespace {

constexpr std::string_view stream_separator{"\0\0\0\0\0\0\0\0", 8};

// Hop-by-hop fields and this hop's framing stay behind: the Function URL frames the response itself.
// A HEAD response's Content-Length frames nothing (no body follows): it describes the resource, and stays.
bool is_dropped(const response_head& head, std::string_view name, bool head_request) noexcept {
  if (is_hop_by_hop(name) || istarts_with(name, "proxy-")) return true;
  if (iequals(name, "content-length")) return !head_request;
  for (const header_field& h : head.headers) {
    if (iequals(h.name, "connection") && list_contains(h.value, name)) return true;
  }
  return false;
}

// Writes "statusCode":..,"headers":{..},"cookies":[..] (no braces around them).
void append_head_members(const response_head& head, std::string& out, bool head_request) {
  out.append("\"statusCode\":");
  append_json_int(out, head.status);
  out.append(",\"headers\":{");
  bool first = true;
  const auto& headers = head.headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const header_field& h = headers[i];
    if (iequals(h.name, "set-cookie") || is_dropped(head, h.name, head_request)) continue;
    bool seen_before = false;
    for (std::size_t j = 0; j < i && !seen_before; ++j) seen_before = iequals(headers[j].name, h.name);
    if (seen_before) continue;  // already written, joined with this value
    if (!first) out.push_back(',');
    first = false;
    append_json_string_lower(out, h.name);
    out.push_back(':');
    bool repeated = false;
    for (std::size_t j = i + 1; j < headers.size() && !repeated; ++j)
      repeated = iequals(headers[j].name, h.name);
    if (!repeated) {
      append_json_string_lossy(out, h.value);
    } else {
      // Rare: join into a scratch string once so the JSON escaping sees a single value.
      std::string joined = h.value;
      for (std::size_t j = i + 1; j < headers.size(); ++j) {
        if (!iequals(headers[j].name, h.name)) continue;
        joined.append(", ");
        joined.append(headers[j].value);
      }
      append_json_string_lossy(out, joined);
    }
  }
  out.append("},\"cookies\":[");
  first = true;
  for (const header_field& h : headers) {
    if (!iequals(h.name, "set-cookie")) continue;
    if (!first) out.push_back(',');
    first = false;
    append_json_string_lossy(out, h.value);
  }
  out.push_back(']');
}

constexpr header_view json_body[] = {{"content-type", "application/json"}};

// Writes the members of an error response head: the headers that describe its body (names lower-case), then
// ts-error-name and ts-error-message.
void append_error_head_members(int status, std::string_view name, std::string_view message,
                               std::span<const header_view> body_headers, std::string& out) {
  out.append("\"statusCode\":");
  append_json_int(out, status);
  out.append(",\"headers\":{");
  for (const header_view& h : body_headers) {
    append_json_string(out, h.name);
    out.push_back(':');
    append_json_string_lossy(out, h.value);
    out.push_back(',');
  }
  out.append("\"ts-error-name\":");
  append_json_string(out, sanitize_header_text(name, 128));
  out.append(",\"ts-error-message\":");
  append_json_string(out, sanitize_header_text(message));
  out.append("},\"cookies\":[]");
}

// {"error":name,"message":message} as raw bytes (the body itself, not yet a JSON string value).
std::string error_body(std::string_view name, std::string_view message) {
  std::string body;
  body.reserve(name.size() + message.size() + 32);
  body.append("{\"error\":");
  append_json_string_lossy(body, name);
  body.append(",\"message\":");
  append_json_string_lossy(body, message);
  body.push_back('}');
  return body;
}

}  // namespace

bool encode_buffered_response(const response_head& head, std::string_view body, std::size_t limit,
                              std::string& out, bool head_request) {
  constexpr std::string_view body_key = ",\"body\":";
  constexpr std::string_view text_tail = ",\"isBase64Encoded\":false}";
  constexpr std::string_view base64_tail = ",\"isBase64Encoded\":true}";

  out.clear();
  out.push_back('{');
  append_head_members(head, out, head_request);

  const std::size_t base64_size = base64_encoded_size(body.size()) + 2;
  bool as_text = false;
  std::size_t body_size = base64_size;
  if (simdjson::validate_utf8(body.data(), body.size())) {
    const std::size_t text_size = json_string_size(body);
    if (text_size <= base64_size) {
      as_text = true;
      body_size = text_size;
    }
  }
  const std::string_view tail = as_text ? text_tail : base64_tail;
  const std::size_t total = out.size() + body_key.size() + body_size + tail.size();
  if (total > limit) return false;

  out.reserve(total);
  out.append(body_key);
  if (as_text) {
    append_json_string(out, body);
  } else {
    out.push_back('"');
    base64_encode_append(out, body);
    out.push_back('"');
  }
  out.append(tail);
  return true;
}

void encode_pipelined_closing(const response_head& head, std::string& out) {
  out.clear();
  out.append("\",\"isBase64Encoded\":true,");
  append_head_members(head, out, false);
  out.push_back('}');
}

void encode_pipelined_error_closing(const response_head& head, int status, std::string_view name,
                                    std::string_view message, std::string& out) {
  // The body is the target's, cut short: its own type and coding still describe it (Lambda would call a
  // body without a type JSON).
  const std::string_view type = find_header(head.headers, "content-type");
  const std::string_view coding = find_header(head.headers, "content-encoding");
  header_view described[2] = {{"content-type", type.empty() ? "application/octet-stream" : type}, {}};
  std::size_t count = 1;
  if (!coding.empty()) described[count++] = {"content-encoding", coding};
  out.clear();
  out.append("\",\"isBase64Encoded\":true,");
  append_error_head_members(status, name, message, std::span(described, count), out);
  out.push_back('}');
}

void encode_stream_prelude(const response_head& head, std::string& out, bool head_request) {
  out.clear();
  out.push_back('{');
  append_head_members(head, out, head_request);
  out.push_back('}');
  out.append(stream_separator);
}

void encode_error_response(int status, std::string_view name, std::string_view message, std::string& out) {
  const std::string body = error_body(name, message);
  out.clear();
  out.push_back('{');
  append_error_head_members(status, name, message, json_body, out);
  out.append(",\"body\":");
  append_json_string(out, body);  // error_body() output is valid UTF-8 (lossy escaping)
  out.append(",\"isBase64Encoded\":false}");
}

void encode_error_stream(int status, std::string_view name, std::string_view message, std::string& out) {
  out.clear();
  out.push_back('{');
  append_error_head_members(status, name, message, json_body, out);
  out.push_back('}');
  out.append(stream_separator);
  out.append(error_body(name, message));
}

std::string sanitize_header_text(std::string_view text, std::size_t max_bytes) {
  std::string out;
  const std::size_t n = text.size() < max_bytes ? text.size() : max_bytes;
  out.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\t') {
      out[i] = ' ';
    } else if (c < 0x20 || c >= 0x7f) {
      out[i] = '?';
    } else {
      out[i] = static_cast<char>(c);
    }
  }
  return out;
}

std::string_view encode_warmer_response() noexcept {
  return "{\"success\":true}";
}

}  // namespace tsproxy::lambda
