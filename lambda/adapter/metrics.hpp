#pragma once
// CloudWatch Embedded Metric Format (EMF) lines: one JSON object per line on stdout, which CloudWatch Logs
// turns into metrics without any API call from the function.

#include <cstdint>
#include <string>
#include <string_view>

namespace tsproxy::lambda {

// The namespace the Node proxy published under (docs/PROTOCOLS.md section 1.5).
inline constexpr std::string_view default_metric_namespace = "tailscale-service";

// True when `value` is acceptable to CloudWatch as a dimension name (`is_name`) or value: 1..255 (names)
// or 1..1024 (values) bytes of ASCII without control characters, at least one non-blank character, and
// for names no leading ':' (CloudWatch Dimension API constraints).
bool is_valid_dimension(std::string_view value, bool is_name) noexcept;

// A request's latency split by phase (TSPROXY_METRICS_PHASES), in milliseconds. Opening a connection:
// `connect` (until the SOCKS5 listener accepted, the dialled name's lookup included), `socks5`, `tls` (all
// zero when a pooled connection carried the request); then `first_byte`, from sending the request until
// the target's response head was read.
struct latency_phases {
  double connect_ms = 0;
  double socks5_ms = 0;
  double tls_ms = 0;
  double first_byte_ms = 0;
};

// Builds one EMF line, '\n' included:
//   {"_aws":{"Timestamp":<timestamp_ms>,"CloudWatchMetrics":[{"Namespace":<namespace_>,
//     "Dimensions":[["service"]] or [["service",<dim_name>]],
//     "Metrics":[{"Name":"success","Unit":"Count"},{"Name":"failure","Unit":"Count"},
//                {"Name":"latency","Unit":"Milliseconds"}]}]},
//    "service":<service>,[<dim_name>:<dim_value>,]"success":1|0,"failure":0|1,"latency":<latency_ms>}
// `success` means the target was reached, whatever its status code. The custom dimension is included only
// when both name and value are valid (is_valid_dimension) and the name does not collide with another member
// of the line ("_aws", "service", "success", "failure", "latency"); otherwise it is silently omitted so the
// metric is still recorded. Returns "" when `service` is not a valid dimension value: CloudWatch would
// reject the whole line. Latency is written with microsecond precision; NaN/infinity become 0.
// With `phases`, four more Milliseconds metrics under the same dimensions follow `latency`:
// connectLatency, socks5Latency, tlsLatency and firstByteLatency (and the custom dimension may not take
// one of their names either).
std::string emf_line(std::string_view namespace_, std::string_view service, std::string_view dim_name,
                     std::string_view dim_value, bool success, double latency_ms, std::int64_t timestamp_ms,
                     const latency_phases* phases = nullptr);

}  // namespace tsproxy::lambda
