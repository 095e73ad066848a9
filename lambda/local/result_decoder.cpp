#include "result_decoder.hpp"

#include <simdjson.h>

#include <charconv>

#include "adapter/base64.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::local {

namespace od = simdjson::ondemand;

namespace {

bool is_framing_header(std::string_view name) noexcept {
  return is_hop_by_hop(name) || iequals(name, "content-length");
}

// A JSON value as header text: strings as their content, numbers and booleans as written.
bool value_text(od::value value, std::string& out) {
  od::json_type type;
  if (value.type().get(type)) return false;
  if (type == od::json_type::string) {
    std::string_view s;
    if (value.get_string().get(s)) return false;
    out.assign(s);
    return true;
  }
  if (type == od::json_type::number || type == od::json_type::boolean) {
    std::string_view raw = value.raw_json_token();
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
      raw.remove_suffix(1);
    }
    out.assign(raw);
    return true;
  }
  return false;
}

// The JSON text of a non-string value (a body given as an object, array, number or boolean).
bool raw_json_of(od::value& value, od::json_type type, std::string_view& raw) {
  if (type == od::json_type::object) {
    od::object object;
    return !value.get_object().get(object) && !object.raw_json().get(raw);
  }
  if (type == od::json_type::array) {
    od::array array;
    return !value.get_array().get(array) && !array.raw_json().get(raw);
  }
  raw = value.raw_json_token();
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t')) {
    raw.remove_suffix(1);
  }
  return true;
}

struct decoded_fields {
  bool has_status = false;
  bool has_content_type = false;
  bool base64 = false;
  bool has_body = false;
  std::string body;
};

// Reads statusCode, headers, cookies, body and isBase64Encoded from `object` into `out`/`fields`.
// Returns false on malformed JSON or wrongly typed fields (reason in `error`).
bool read_response_object(od::object object, http_result& out, decoded_fields& fields, std::string& error) {
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field)) {
      error = "invalid JSON";
      return false;
    }
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      error = "invalid JSON key";
      return false;
    }
    od::value value = field.value();
    if (key == "statusCode") {
      std::string text;
      std::int64_t status = 0;
      if (!value_text(value, text)) {
        error = "statusCode is not a number";
        return false;
      }
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), status);
      if (ec != std::errc() || ptr != text.data() + text.size() || status < 100 || status > 599) {
        error = "statusCode out of range: " + text;
        return false;
      }
      out.status = static_cast<int>(status);
      fields.has_status = true;
    } else if (key == "headers") {
      od::object headers;
      if (value.get_object().get(headers)) {
        od::json_type type;
        if (!value.type().get(type) && type == od::json_type::null) continue;
        error = "headers is not an object";
        return false;
      }
      for (auto header_result : headers) {
        od::field header;
        std::string_view name;
        std::string text;
        if (std::move(header_result).get(header) || header.unescaped_key().get(name)) {
          error = "invalid JSON in headers";
          return false;
        }
        const std::string owned_name(name);
        if (!value_text(header.value(), text)) continue;  // arrays, objects, null: nothing to send
        if (iequals(owned_name, "content-length") && !text.empty() &&
            text.find_first_not_of("0123456789") == std::string::npos) {
          out.declared_length = text;
        }
        if (is_framing_header(owned_name) || !is_sendable_header(owned_name, text)) continue;
        if (iequals(owned_name, "content-type")) fields.has_content_type = true;
        out.headers.push_back({owned_name, std::move(text)});
      }
    } else if (key == "cookies") {
      od::array cookies;
      if (value.get_array().get(cookies)) {
        od::json_type type;
        if (!value.type().get(type) && type == od::json_type::null) continue;
        error = "cookies is not an array";
        return false;
      }
      for (auto cookie_result : cookies) {
        std::string_view cookie;
        if (cookie_result.get_string().get(cookie)) {
          error = "cookies holds a non-string";
          return false;
        }
        if (is_sendable_header("Set-Cookie", cookie))
          out.headers.push_back({"Set-Cookie", std::string(cookie)});
      }
    } else if (key == "body") {
      od::json_type type;
      if (value.type().get(type)) {
        error = "invalid JSON body";
        return false;
      }
      if (type == od::json_type::string) {
        std::string_view body;
        if (value.get_string().get(body)) {
          error = "invalid JSON body";
          return false;
        }
        fields.body.assign(body);
      } else if (type != od::json_type::null) {
        std::string_view raw;
        if (!raw_json_of(value, type, raw)) {
          error = "invalid JSON body";
          return false;
        }
        fields.body.assign(raw);
      }
      fields.has_body = true;
    } else if (key == "isBase64Encoded") {
      bool flag = false;
      if (value.get_bool().get(flag)) {
        od::json_type type;
        if (!value.type().get(type) && type == od::json_type::null) continue;
        error = "isBase64Encoded is not a boolean";
        return false;
      }
      fields.base64 = flag;
    }
    // Unknown keys are skipped by the iteration.
  }
  return true;
}

bool parse_object(std::string_view json, simdjson::padded_string& storage, od::parser& parser,
                  od::document& doc, od::object& object) {
  storage = simdjson::padded_string(json);
  if (parser.iterate(storage).get(doc)) return false;
  return !doc.get_object().get(object);
}

}  // namespace

bool is_sendable_header(std::string_view name, std::string_view value) noexcept {
  if (name.empty()) return false;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    const bool token = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
                       std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
    if (!token) return false;
  }
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\n' || c == 0 || (c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

bool decode_buffered_result(std::string_view result, http_result& out, std::string& error) {
  out = {};
  simdjson::padded_string storage;
  od::parser parser;
  od::document doc;
  od::object object;
  decoded_fields fields;
  http_result structured;
  if (parse_object(result, storage, parser, doc, object) &&
      read_response_object(object, structured, fields, error) && fields.has_status) {
    if (fields.base64) {
      if (!lambda::base64_decode(fields.body, structured.body)) {
        error = "body is not valid base64";
        return false;
      }
    } else {
      structured.body = std::move(fields.body);
    }
    if (!fields.has_content_type)
      structured.headers.insert(structured.headers.begin(), {"Content-Type", "application/json"});
    out = std::move(structured);
    return true;
  }
  if (fields.has_status && !error.empty()) return false;  // a structured response with a bad field
  // Not a structured response: Function URLs return the whole result as JSON.
  error.clear();
  out.status = 200;
  out.headers.push_back({"Content-Type", "application/json"});
  out.body.assign(result);
  return true;
}

bool decode_stream_prelude(std::string_view prelude, http_result& out, std::string& error) {
  out = {};
  const auto first = prelude.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {  // an empty prelude: defaults
    out.headers.push_back({"Content-Type", "application/octet-stream"});
    return true;
  }
  simdjson::padded_string storage;
  od::parser parser;
  od::document doc;
  od::object object;
  decoded_fields fields;
  if (!parse_object(prelude, storage, parser, doc, object)) {
    error = "prelude is not a JSON object";
    return false;
  }
  if (!read_response_object(object, out, fields, error)) return false;
  if (!fields.has_status) out.status = 200;
  if (!fields.has_content_type)
    out.headers.insert(out.headers.begin(), {"Content-Type", "application/octet-stream"});
  return true;
}

}  // namespace tsproxy::local
