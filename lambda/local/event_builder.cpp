#include "event_builder.hpp"

#include <simdjson.h>

#include <ctime>
#include <utility>
#include <vector>

#include "adapter/base64.hpp"
#include "adapter/json_writer.hpp"
#include "aws/sigv4_signer.hpp"

namespace tsproxy::local {

namespace {

using lambda::append_json_string;
using lambda::append_json_string_lossy;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool ends_with_icase(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// Text that may not be UTF-8 (header values, decoded query parameters).
void append_text(std::string& out, std::string_view s) {
  if (simdjson::validate_utf8(s.data(), s.size()))
    append_json_string(out, s);
  else
    append_json_string_lossy(out, s);
}

// Ordered name → joined value, for headers and query parameters (few entries: a linear scan is fine).
using joined_fields = std::vector<std::pair<std::string, std::string>>;

void add_joined(joined_fields& fields, std::string name, std::string_view value) {
  for (auto& [n, v] : fields) {
    if (n == name) {
      v.push_back(',');
      v.append(value);
      return;
    }
  }
  fields.emplace_back(std::move(name), std::string(value));
}

bool has_field(const joined_fields& fields, std::string_view name) noexcept {
  for (const auto& f : fields) {
    if (f.first == name) return true;
  }
  return false;
}

void append_object(std::string& out, const joined_fields& fields) {
  out.push_back('{');
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) out.push_back(',');
    first = false;
    append_text(out, name);
    out.push_back(':');
    append_text(out, value);
  }
  out.push_back('}');
}

// The fields and their order of AWS's example event
// (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-request-payload). A field
// tsproxy-local does not know is null, as AWS writes cognitoIdentity and, outside an organization,
// principalOrgId.
void append_iam_authorizer(std::string& out, const iam_principal& caller) {
  const std::pair<std::string_view, std::string_view> fields[] = {{"accessKey", caller.access_key},
                                                                  {"accountId", caller.account_id},
                                                                  {"callerId", caller.caller_id},
                                                                  {"cognitoIdentity", {}},
                                                                  {"principalOrgId", caller.principal_org_id},
                                                                  {"userArn", caller.user_arn},
                                                                  {"userId", caller.user_id}};
  out.append(R"("authorizer":{"iam":{)");
  bool first = true;
  for (const auto& [name, value] : fields) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, name);
    out.push_back(':');
    if (value.empty())
      out.append("null");
    else
      append_text(out, value);
  }
  out.append("}},");
}

}  // namespace

bool is_textual_content_type(std::string_view content_type) noexcept {
  auto media = trim(content_type.substr(0, content_type.find(';')));
  if (media.size() >= 5 && iequals(media.substr(0, 5), "text/")) return true;
  for (std::string_view t : {"application/json", "application/xml", "application/javascript",
                             "application/x-www-form-urlencoded"}) {
    if (iequals(media, t)) return true;
  }
  return ends_with_icase(media, "+json") || ends_with_icase(media, "+xml");
}

std::string format_request_time(std::int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  return std::string(buf, n);
}

void build_function_url_event(const request_head& head, std::string_view body, const event_context& context,
                              std::string& out) {
  // An absolute-form target (proxies send them) still yields the origin-form path.
  std::string_view target = head.target;
  if (const auto scheme = target.find("://"); scheme != std::string_view::npos && target.front() != '/') {
    const auto path_start = target.find('/', scheme + 3);
    target = path_start == std::string_view::npos ? std::string_view("/") : target.substr(path_start);
  }
  const auto question = target.find('?');
  const std::string_view raw_path = target.substr(0, question);
  const std::string_view raw_query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  joined_fields headers;
  std::vector<std::string_view> cookies;
  std::string_view user_agent;
  std::string_view content_type;
  for (const auto& h : head.headers) {
    if (iequals(h.name, "cookie")) {
      std::string_view rest = h.value;
      while (!rest.empty()) {
        const auto semi = rest.find(';');
        const auto part = trim(rest.substr(0, semi));
        if (!part.empty()) cookies.push_back(part);
        if (semi == std::string_view::npos) break;
        rest.remove_prefix(semi + 1);
      }
      continue;
    }
    if (iequals(h.name, "user-agent") && user_agent.empty()) user_agent = h.value;
    if (iequals(h.name, "content-type") && content_type.empty()) content_type = h.value;
    add_joined(headers, lower(h.name), h.value);
  }
  if (!has_field(headers, "x-amzn-trace-id"))
    headers.emplace_back("x-amzn-trace-id", std::string(context.trace_id));
  if (!has_field(headers, "x-forwarded-for"))
    headers.emplace_back("x-forwarded-for", std::string(context.source_ip));
  if (!has_field(headers, "x-forwarded-proto")) headers.emplace_back("x-forwarded-proto", "http");
  if (!has_field(headers, "x-forwarded-port"))
    headers.emplace_back("x-forwarded-port", std::to_string(context.listener_port));

  joined_fields query;
  for (std::string_view rest = raw_query; !rest.empty();) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      // Decoded as Function URLs do for queryStringParameters: a malformed escape stays as it is.
      add_joined(query, aws::percent_decode(pair.substr(0, eq)),
                 eq == std::string_view::npos ? std::string() : aws::percent_decode(pair.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }

  out.reserve(out.size() + 1024 + body.size() * 4 / 3);
  out.append(R"({"version":"2.0","routeKey":"$default","rawPath":)");
  append_text(out, raw_path);
  out.append(",\"rawQueryString\":");
  append_text(out, raw_query);
  if (!cookies.empty()) {
    out.append(",\"cookies\":[");
    for (std::size_t i = 0; i < cookies.size(); ++i) {
      if (i) out.push_back(',');
      append_text(out, cookies[i]);
    }
    out.push_back(']');
  }
  out.append(",\"headers\":");
  append_object(out, headers);
  if (!query.empty()) {
    out.append(",\"queryStringParameters\":");
    append_object(out, query);
  }
  out.append(R"(,"requestContext":{"accountId":"anonymous",)");
  if (context.caller != nullptr) append_iam_authorizer(out, *context.caller);
  out.append(R"("apiId":)");
  append_json_string(out, context.url_id);
  out.append(",\"domainName\":");
  append_json_string(out,
                     std::string(context.url_id) + ".lambda-url." + std::string(context.region) + ".on.aws");
  out.append(",\"domainPrefix\":");
  append_json_string(out, context.url_id);
  out.append(",\"http\":{\"method\":");
  append_text(out, head.method);
  out.append(",\"path\":");
  append_text(out, raw_path);
  out.append(R"(,"protocol":"HTTP/1.)");
  out.push_back(head.version_minor == 0 ? '0' : '1');
  out.append("\",\"sourceIp\":");
  append_text(out, context.source_ip);
  out.append(",\"userAgent\":");
  append_text(out, user_agent);
  out.append("},\"requestId\":");
  append_json_string(out, context.request_id);
  out.append(R"(,"routeKey":"$default","stage":"$default","time":)");
  append_json_string(out, format_request_time(context.time_epoch_ms));
  out.append(",\"timeEpoch\":");
  lambda::append_json_int(out, context.time_epoch_ms);
  out.push_back('}');
  if (body.empty()) {
    out.append(",\"isBase64Encoded\":false}");
    return;
  }
  const bool as_text =
      is_textual_content_type(content_type) && simdjson::validate_utf8(body.data(), body.size());
  out.append(",\"body\":");
  if (as_text) {
    append_json_string(out, body);
  } else {
    out.push_back('"');
    lambda::base64_encode_append(out, body);
    out.push_back('"');
  }
  out.append(",\"isBase64Encoded\":");
  out.append(as_text ? "false" : "true");
  out.push_back('}');
}

}  // namespace tsproxy::local
