#include "adapter/trace_context.hpp"

#include <algorithm>

#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::lambda {

namespace {

bool all_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

void append_lower(std::string& out, std::string_view text) {
  for (const char c : text) out.push_back(ascii_lower(c));
}

// The value of `key=` among the header's ';'-separated fields (spaces around them allowed).
std::string_view field(std::string_view header, std::string_view key) {
  while (!header.empty()) {
    const auto semicolon = header.find(';');
    std::string_view item = header.substr(0, semicolon);
    header = semicolon == std::string_view::npos ? std::string_view{} : header.substr(semicolon + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.size() > key.size() && item.starts_with(key) && item[key.size()] == '=')
      return item.substr(key.size() + 1);
  }
  return {};
}

header_view* find(routed_request& route, std::string_view name) {
  const auto it = std::find_if(route.headers.begin(), route.headers.end(),
                               [&](const header_view& h) { return iequals(h.name, name); });
  return it == route.headers.end() ? nullptr : &*it;
}

}  // namespace

std::optional<std::string> traceparent_from_xray(std::string_view trace_header) {
  const auto root = field(trace_header, "Root");  // 1-<8 hex epoch>-<24 hex>
  const auto parent = field(trace_header, "Parent");
  if (root.size() != 35 || !root.starts_with("1-") || root[10] != '-' || parent.size() != 16)
    return std::nullopt;
  const auto epoch = root.substr(2, 8);
  const auto unique = root.substr(11);
  if (!all_hex(epoch) || !all_hex(unique) || !all_hex(parent)) return std::nullopt;
  // All-zero ids are invalid in W3C trace context.
  const auto all_zero = [](std::string_view id) {
    return id.find_first_not_of('0') == std::string_view::npos;
  };
  if ((all_zero(epoch) && all_zero(unique)) || all_zero(parent)) return std::nullopt;
  const bool sampled = field(trace_header, "Sampled") == "1";
  // Built in place: this runs on every invocation.
  std::string out;
  out.reserve(55);  // 00-<32 hex>-<16 hex>-<2 hex>
  out.append("00-");
  append_lower(out, epoch);
  append_lower(out, unique);
  out.push_back('-');
  append_lower(out, parent);
  out.append(sampled ? "-01" : "-00");
  return out;
}

void add_trace_context(routed_request& route, std::string_view lambda_trace_id) {
  if (lambda_trace_id.empty()) return;
  route.trace_id_value = std::string(lambda_trace_id);
  if (auto* existing = find(route, "x-amzn-trace-id"))
    existing->value = route.trace_id_value;
  else
    route.headers.push_back({"x-amzn-trace-id", route.trace_id_value});
  if (find(route, "traceparent") != nullptr) return;
  if (auto derived = traceparent_from_xray(lambda_trace_id)) {
    route.traceparent_value = std::move(*derived);
    route.headers.push_back({"traceparent", route.traceparent_value});
  }
}

}  // namespace tsproxy::lambda
