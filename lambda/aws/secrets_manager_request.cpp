#include "aws/secrets_manager_request.hpp"

#include <simdjson.h>

#include "adapter/json_writer.hpp"
#include "tsproxy/version.hpp"

namespace tsproxy::aws {

namespace {

constexpr std::string_view content_type = "application/x-amz-json-1.1";
constexpr std::string_view target = "secretsmanager.GetSecretValue";

// A message from the answer, made safe for one log line: bounded, control bytes replaced.
std::string sanitize(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, max_error_message_bytes)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  if (text.size() > max_error_message_bytes) out += "...";
  return out;
}

// "com.amazonaws.secretsmanager#ResourceNotFoundException" and "AccessDeniedException:http://..." are
// both just the last name.
std::string short_type(std::string_view type) {
  if (const auto hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  if (const auto colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  return sanitize(type);
}

std::string_view xml_element(std::string_view body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  const auto begin = body.find(open);
  if (begin == std::string_view::npos) return {};
  const auto end = body.find(close, begin + open.size());
  if (end == std::string_view::npos) return {};
  return body.substr(begin + open.size(), end - begin - open.size());
}

struct json_fields {
  bool parsed = false;
  bool has_secret_string = false;
  bool has_secret_binary = false;
  std::string secret_string;
  std::string type;
  std::string message;
};

json_fields read_json(std::string_view body) {
  json_fields out;
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) return out;
  out.parsed = true;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return {};
    std::string_view value;
    const bool is_string = !field.value().get_string().get(value);
    if (key == "SecretString" && is_string) {
      out.has_secret_string = true;
      out.secret_string = std::string(value);
    } else if (key == "SecretBinary") {
      out.has_secret_binary = true;
    } else if ((key == "__type" || key == "code" || key == "Code") && is_string && out.type.empty()) {
      out.type = std::string(value);
    } else if ((key == "message" || key == "Message") && is_string) {
      out.message = std::string(value);
    }
  }
  return out;
}

}  // namespace

request_bytes get_secret_value_request(const endpoint_url& endpoint, const credentials& creds,
                                       std::string_view region, std::string_view secret_id,
                                       std::string_view amz_date) {
  request_bytes out;
  out.body = "{\"SecretId\":";
  lambda::append_json_string(out.body, secret_id);
  out.body += '}';
  const sigv4_request to_sign{
      "POST",
      endpoint.path,
      "",
      {{"Host", endpoint.host_header}, {"Content-Type", content_type}, {"X-Amz-Target", target}},
      out.body};
  const auto signature = sign_request(to_sign, creds, region, secrets_manager_service, amz_date);
  // Written here, not by request_head (common/api_request): `Connection: close` follows this head's framing.
  out.head = "POST " + endpoint.path + " HTTP/1.1\r\n";
  for (const auto& h : to_sign.headers) {
    out.head.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  for (const auto& h : signature_headers(signature, creds)) out.head += h.name + ": " + h.value + "\r\n";
  out.head += "User-Agent: tsproxy/" + std::string(version) + "\r\n";
  out.head += "Content-Length: " + std::to_string(out.body.size()) + "\r\nConnection: close\r\n\r\n";
  return out;
}

secret_fetch_result parse_get_secret_value_response(int status, const std::vector<header_field>& headers,
                                                    std::string_view body, std::string_view secret_id) {
  secret_fetch_result out;
  out.http_status = status;
  const auto json = read_json(body);
  if (status == 200) {
    if (json.has_secret_string) {
      out.secret_string = json.secret_string;
      return out;
    }
    if (json.has_secret_binary) {
      out.error_type = secret_errors::secret_not_string;
      out.message = "secret " + sanitize(secret_id) + " holds SecretBinary; tsproxy reads only SecretString";
      return out;
    }
    out.error_type = secret_errors::bad_response;
    out.message = json.parsed ? "the GetSecretValue answer has no SecretString"
                              : "the GetSecretValue answer is not JSON";
    return out;
  }
  // AWS's JSON protocol names the error in the body, its front door in a header, and XML-speaking layers
  // (and emulators) in <Code>.
  std::string type = short_type(json.type);
  if (type.empty()) type = short_type(find_header(headers, "x-amzn-ErrorType"));
  if (type.empty()) type = short_type(xml_element(body, "Code"));
  if (type.empty()) type = "HttpStatus" + std::to_string(status);
  std::string message = json.message;
  if (message.empty()) message = std::string(xml_element(body, "Message"));
  out.error_type = std::move(type);
  out.message = "GetSecretValue of " + sanitize(secret_id) + " answered " + std::to_string(status);
  if (!message.empty()) out.message += ": " + sanitize(message);
  return out;
}

}  // namespace tsproxy::aws
