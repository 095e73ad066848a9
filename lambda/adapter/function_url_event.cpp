#include "adapter/function_url_event.hpp"

#include <simdjson.h>

#include <cstring>
#include <string>

#include "adapter/base64.hpp"

namespace tsproxy::lambda {

namespace od = simdjson::ondemand;

static_assert(event_parser::padding == simdjson::SIMDJSON_PADDING);

struct event_parser::impl {
  od::parser parser;
  std::string input;         // padded copy of the event made by parse(); grows, never shrinks
  std::string decoded_body;  // storage of a base64-decoded body, owned here so all views share one lifetime
};

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tsproxy.lambda.event"; }
  std::string message(int ev) const override {
    switch (static_cast<event_error>(ev)) {
      case event_error::invalid_json:
        return "the event is not valid JSON";
      case event_error::not_an_object:
        return "the event is not a JSON object";
      case event_error::unsupported_version:
        return "the event is not a payload format 2.0 event";
      case event_error::missing_method:
        return "the event has no requestContext.http.method";
      case event_error::wrong_type:
        return "a field of the event has the wrong JSON type";
      case event_error::bad_base64:
        return "the event body is marked base64 but is not valid base64";
    }
    return "unknown event error";
  }
};

// A known key holding a value of another type is the caller's error (wrong_type); anything else simdjson
// reports means the document itself is broken.
std::error_code from_simdjson(simdjson::error_code e) noexcept {
  if (e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE) return event_error::wrong_type;
  return event_error::invalid_json;
}

// null counts as absent for every optional field: some producers write "body": null.
bool is_null(od::value& v, std::error_code& ec) noexcept {
  od::json_type type;
  if (const auto e = v.type().get(type)) {
    ec = from_simdjson(e);
    return false;
  }
  return type == od::json_type::null;
}

std::error_code read_string(od::value& v, std::string_view& out) noexcept {
  std::error_code ec;
  if (is_null(v, ec) || ec) return ec;
  if (const auto e = v.get_string().get(out)) return from_simdjson(e);
  return {};
}

std::error_code read_bool(od::value& v, bool& out) noexcept {
  std::error_code ec;
  if (is_null(v, ec) || ec) return ec;
  if (const auto e = v.get_bool().get(out)) return from_simdjson(e);
  return {};
}

std::error_code read_int(od::value& v, std::int64_t& out) noexcept {
  std::error_code ec;
  if (is_null(v, ec) || ec) return ec;
  if (const auto e = v.get_int64().get(out)) return from_simdjson(e);
  return {};
}

std::error_code read_headers(od::value& v, std::vector<header_view>& out) {
  std::error_code ec;
  if (is_null(v, ec) || ec) return ec;
  od::object object;
  if (const auto e = v.get_object().get(object)) return from_simdjson(e);
  for (auto field : object) {
    header_view header;
    if (const auto e = field.unescaped_key().get(header.name)) return from_simdjson(e);
    if (const auto e = field.value().get_string().get(header.value)) return from_simdjson(e);
    out.push_back(header);
  }
  return {};
}

std::error_code read_cookies(od::value& v, std::vector<std::string_view>& out) {
  std::error_code ec;
  if (is_null(v, ec) || ec) return ec;
  od::array array;
  if (const auto e = v.get_array().get(array)) return from_simdjson(e);
  for (auto element : array) {
    std::string_view cookie;
    if (const auto e = element.get_string().get(cookie)) return from_simdjson(e);
    out.push_back(cookie);
  }
  return {};
}

// Calls `fn(key, value)` for each field of `object`, whatever the key order; stops at the first error.
template <typename Fn>
std::error_code for_each_field(od::object& object, Fn&& fn) {
  for (auto field : object) {
    std::string_view key;
    od::value value;
    if (const auto e = field.unescaped_key().get(key)) return from_simdjson(e);
    if (const auto e = field.value().get(value)) return from_simdjson(e);
    if (const auto ec = fn(key, value)) return ec;
  }
  return {};
}

// The same for a nested object that may also be null (treated as absent).
template <typename Fn>
std::error_code read_object(od::value& v, Fn&& fn) {
  std::error_code ec;
  if (is_null(v, ec) || ec) return ec;
  od::object object;
  if (const auto e = v.get_object().get(object)) return from_simdjson(e);
  return for_each_field(object, fn);
}

std::error_code read_http(od::value& v, function_url_request& out) {
  return read_object(v, [&](std::string_view key, od::value& value) -> std::error_code {
    if (key == "method") return read_string(value, out.method);
    if (key == "sourceIp") return read_string(value, out.source_ip);
    return {};
  });
}

std::error_code read_iam_caller(od::value& v, iam_caller& out) {
  return read_object(v, [&](std::string_view key, od::value& value) -> std::error_code {
    if (key == "accountId") return read_string(value, out.account_id);
    if (key == "userArn") return read_string(value, out.user_arn);
    if (key == "userId") return read_string(value, out.user_id);
    if (key == "callerId") return read_string(value, out.caller_id);
    if (key == "principalOrgId") return read_string(value, out.principal_org_id);
    return {};
  });
}

std::error_code read_authorizer(od::value& v, iam_caller& out) {
  return read_object(v, [&](std::string_view key, od::value& value) -> std::error_code {
    if (key == "iam") return read_iam_caller(value, out);
    return {};
  });
}

std::error_code read_request_context(od::value& v, function_url_request& out) {
  return read_object(v, [&](std::string_view key, od::value& value) -> std::error_code {
    if (key == "http") return read_http(value, out);
    if (key == "authorizer") return read_authorizer(value, out.caller);
    if (key == "requestId") return read_string(value, out.request_id);
    if (key == "timeEpoch") return read_int(value, out.time_epoch_ms);
    return {};
  });
}

std::error_code parse_event(od::parser& parser, simdjson::padded_string_view json, std::string& decoded_body,
                            function_url_request& out) {
  out.clear();
  od::document doc;
  if (parser.iterate(json).get(doc) != simdjson::SUCCESS) return event_error::invalid_json;
  od::object root;
  if (const auto e = doc.get_object().get(root)) {
    return e == simdjson::INCORRECT_TYPE || e == simdjson::SCALAR_DOCUMENT_AS_VALUE
               ? event_error::not_an_object
               : event_error::invalid_json;
  }

  // One pass over the top-level object whatever the key order; unknown keys (queryStringParameters,
  // routeKey, ...) are skipped by the iterator without being parsed.
  std::string_view body;
  bool body_is_base64 = false;
  const auto ec = for_each_field(root, [&](std::string_view key, od::value& value) -> std::error_code {
    if (key == "headers") return read_headers(value, out.headers);
    if (key == "body") return read_string(value, body);
    if (key == "rawPath") return read_string(value, out.raw_path);
    if (key == "rawQueryString") return read_string(value, out.raw_query);
    if (key == "cookies") return read_cookies(value, out.cookies);
    if (key == "requestContext") return read_request_context(value, out);
    if (key == "isBase64Encoded") return read_bool(value, body_is_base64);
    if (key == "warmer") return read_bool(value, out.is_warmer);
    if (key == "warmerIndex") return read_int(value, out.warmer_index);
    if (key == "version") {
      std::string_view version;
      if (const auto e = read_string(value, version)) return e;
      if (!version.empty() && version != "2.0") return event_error::unsupported_version;
    }
    return {};
  });
  if (ec) return ec;
  // The root object is consumed; anything after it ("{...} garbage") makes the event invalid.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) return event_error::invalid_json;

  if (out.is_warmer) return {};
  if (out.method.empty()) return event_error::missing_method;
  if (body_is_base64) {
    if (!base64_decode(body, decoded_body)) return event_error::bad_base64;
    out.body = decoded_body;
  } else {
    out.body = body;
  }
  return {};
}

}  // namespace

void function_url_request::clear() noexcept {
  method = {};
  raw_path = {};
  raw_query = {};
  headers.clear();
  cookies.clear();
  body = {};
  request_id = {};
  source_ip = {};
  time_epoch_ms = 0;
  caller = {};
  is_warmer = false;
  warmer_index = 0;
}

const std::error_category& event_category() noexcept {
  static const category instance;
  return instance;
}

std::error_code make_error_code(event_error e) noexcept {
  return {static_cast<int>(e), event_category()};
}

std::string_view event_error_name(std::error_code ec) noexcept {
  if (ec.category() != event_category()) return "InvalidEvent";
  switch (static_cast<event_error>(ec.value())) {
    case event_error::invalid_json:
      return "InvalidEventJson";
    case event_error::not_an_object:
      return "EventNotAnObject";
    case event_error::unsupported_version:
      return "UnsupportedEventVersion";
    case event_error::missing_method:
      return "MissingMethod";
    case event_error::wrong_type:
      return "InvalidEventField";
    case event_error::bad_base64:
      return "InvalidBase64Body";
  }
  return "InvalidEvent";
}

event_parser::event_parser() : impl_(std::make_unique<impl>()) {}
event_parser::~event_parser() = default;
event_parser::event_parser(event_parser&&) noexcept = default;
event_parser& event_parser::operator=(event_parser&&) noexcept = default;

std::error_code event_parser::parse(std::string_view event, function_url_request& out) {
  // Grow only: resize() would zero-fill on every call, and the padding bytes' values do not matter.
  if (impl_->input.size() < event.size() + padding) impl_->input.resize(event.size() + padding);
  if (!event.empty()) std::memcpy(impl_->input.data(), event.data(), event.size());
  // Stale bytes of a previous event would be harmless but a '}' right after the end sends simdjson down a
  // slower full balance check (simdjson issue 1834), so clear the padding like padded_string does.
  std::memset(impl_->input.data() + event.size(), 0, padding);
  return parse_event(impl_->parser,
                     simdjson::padded_string_view(impl_->input.data(), event.size(), impl_->input.size()),
                     impl_->decoded_body, out);
}

void event_parser::release_excess(std::size_t keep) {
  if (impl_->input.capacity() > keep) std::string().swap(impl_->input);
  if (impl_->decoded_body.capacity() > keep) std::string().swap(impl_->decoded_body);
  // The parser's buffers are sized for the largest document it has seen; a new one starts small.
  if (impl_->parser.capacity() > keep) impl_->parser = od::parser{};
}

std::error_code event_parser::parse_padded(std::string_view event, std::size_t capacity,
                                           function_url_request& out) {
  return parse_event(impl_->parser, simdjson::padded_string_view(event.data(), event.size(), capacity),
                     impl_->decoded_body, out);
}

}  // namespace tsproxy::lambda
