#include "extension/extension_event.hpp"

#include <simdjson.h>

#include <cmath>

namespace tsproxy::extension {

static_assert(extension_event_padding == simdjson::SIMDJSON_PADDING);

std::optional<extension_event> parse_extension_event(std::string_view json) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (parser
          .iterate(
              simdjson::padded_string_view(json.data(), json.size(), json.size() + extension_event_padding))
          .get(doc) ||
      doc.get_object().get(root)) {
    return std::nullopt;
  }
  extension_event out;
  std::optional<std::string_view> type;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    auto value = field.value();
    std::string_view text;
    if (key == "eventType") {
      if (value.get_string().get(text)) return std::nullopt;
      type = text;
    } else if (key == "deadlineMs") {
      // Lambda sends an integer; a float from another emulator is accepted, truncated to whole ms.
      std::int64_t ms = 0;
      double fractional = 0;
      if (!value.get_int64().get(ms))
        out.deadline_epoch_ms = ms;
      else if (!value.get_double().get(fractional) && std::abs(fractional) < 9.2e18)  // fits an int64
        out.deadline_epoch_ms = static_cast<std::int64_t>(fractional);
      else
        return std::nullopt;
    } else if (key == "requestId") {
      if (!value.get_string().get(text)) out.request_id = text;
    } else if (key == "shutdownReason") {
      if (!value.get_string().get(text)) out.shutdown_reason = text;
    }
  }
  if (type == "INVOKE")
    out.type = event_type::invoke;
  else if (type == "SHUTDOWN")
    out.type = event_type::shutdown;
  else
    return std::nullopt;
  return out;
}

}  // namespace tsproxy::extension
