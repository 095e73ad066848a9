#include "adapter/metrics.hpp"

#include <array>

#include "adapter/json_writer.hpp"

namespace tsproxy::lambda {

bool is_valid_dimension(std::string_view value, bool is_name) noexcept {
  const std::size_t max_size = is_name ? 255 : 1024;
  if (value.empty() || value.size() > max_size) return false;
  if (is_name && value.front() == ':') return false;
  bool has_non_blank = false;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7f) return false;
    if (c != ' ') has_non_blank = true;
  }
  return has_non_blank;
}

namespace {

// The phase metrics' names, in the order latency_phases holds them.
constexpr std::array<std::string_view, 4> phase_metric_names{"connectLatency", "socks5Latency", "tlsLatency",
                                                             "firstByteLatency"};

}  // namespace

std::string emf_line(std::string_view namespace_, std::string_view service, std::string_view dim_name,
                     std::string_view dim_value, bool success, double latency_ms, std::int64_t timestamp_ms,
                     const latency_phases* phases) {
  if (!is_valid_dimension(service, false)) return {};
  bool with_dimension = is_valid_dimension(dim_name, true) && is_valid_dimension(dim_value, false);
  for (const std::string_view reserved : {"_aws", "service", "success", "failure", "latency"}) {
    if (dim_name == reserved) with_dimension = false;
  }
  if (phases != nullptr) {
    for (const std::string_view reserved : phase_metric_names) {
      if (dim_name == reserved) with_dimension = false;
    }
  }
  const std::array<double, 4> phase_ms = phases != nullptr
                                             ? std::array<double, 4>{phases->connect_ms, phases->socks5_ms,
                                                                     phases->tls_ms, phases->first_byte_ms}
                                             : std::array<double, 4>{};

  std::string out;
  out.reserve(320 + namespace_.size() + service.size() +
              (with_dimension ? 2 * dim_name.size() + dim_value.size() : 0));
  out.append("{\"_aws\":{\"Timestamp\":");
  append_json_int(out, timestamp_ms);
  out.append(",\"CloudWatchMetrics\":[{\"Namespace\":");
  append_json_string_lossy(out, namespace_);
  out.append(",\"Dimensions\":[[\"service\"");
  if (with_dimension) {
    out.push_back(',');
    append_json_string(out, dim_name);
  }
  out.append(
      "]],\"Metrics\":[{\"Name\":\"success\",\"Unit\":\"Count\"},{\"Name\":\"failure\",\"Unit\":\"Count\"},"
      "{\"Name\":\"latency\",\"Unit\":\"Milliseconds\"}");
  if (phases != nullptr) {
    for (const std::string_view name : phase_metric_names) {
      out.append(",{\"Name\":\"").append(name).append("\",\"Unit\":\"Milliseconds\"}");
    }
  }
  out.append("]}]},\"service\":");
  append_json_string(out, service);
  if (with_dimension) {
    out.push_back(',');
    append_json_string(out, dim_name);
    out.push_back(':');
    append_json_string(out, dim_value);
  }
  out.append(success ? ",\"success\":1,\"failure\":0,\"latency\":"
                     : ",\"success\":0,\"failure\":1,\"latency\":");
  append_json_fixed(out, latency_ms, 3);
  if (phases != nullptr) {
    for (std::size_t i = 0; i < phase_metric_names.size(); ++i) {
      out.append(",\"").append(phase_metric_names[i]).append("\":");
      append_json_fixed(out, phase_ms[i], 3);
    }
  }
  out.append("}\n");
  return out;
}

}  // namespace tsproxy::lambda
