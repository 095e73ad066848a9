#pragma once
// The events event/next delivers (docs/PROTOCOLS.md section 4): INVOKE {"eventType", "deadlineMs",
// "requestId", "invokedFunctionArn", "tracing"} and SHUTDOWN {"eventType", "shutdownReason",
// "deadlineMs"}. Parsed from the answer's body, which must be followed by extension_event_padding
// readable bytes (simdjson parses in place).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tsproxy::extension {

inline constexpr std::size_t extension_event_padding = 64;  // simdjson::SIMDJSON_PADDING

enum class event_type { invoke, shutdown };

struct extension_event {
  event_type type = event_type::invoke;
  std::int64_t deadline_epoch_ms = 0;  // 0 when absent
  std::string request_id;              // INVOKE only
  std::string shutdown_reason;         // SHUTDOWN only: spindown, timeout, failure
};

// nullopt when the document is not an event of a known type.
std::optional<extension_event> parse_extension_event(std::string_view json);

}  // namespace tsproxy::extension
