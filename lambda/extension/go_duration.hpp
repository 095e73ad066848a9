#pragma once
// Durations written the way the tailscale CLI's flags read them (Go's time.ParseDuration): a sequence
// of decimal numbers with units, e.g. "2000ms", "2s", "1.5s", "1m30s" (units ns, us, µs, ms, s, m, h).
// TS_EXIT_NODE_PING_TIMEOUT is passed to `tailscale ping --timeout` in this form in the Node.js
// extension, so the same values mean the same here. A bare number is taken as milliseconds.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tsproxy::extension {

// Rounded down to whole milliseconds; nullopt for anything else (a sign, no unit after a fraction,
// an unknown unit, more than a day).
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

// The form the tailscale CLI's duration flags take: "<n>ms".
std::string format_go_duration(std::chrono::milliseconds duration);

}  // namespace tsproxy::extension
