#include "invoke_stats.hpp"

#include <algorithm>
#include <cmath>

#include "adapter/json_writer.hpp"

namespace tsproxy::local {

void invoke_stats::record(std::optional<double> handoff_ms) {
  ++invocations_;
  if (!handoff_ms) return;
  if (handoffs_.size() < window_) {
    handoffs_.push_back(*handoff_ms);
  } else {
    handoffs_[next_slot_] = *handoff_ms;
    next_slot_ = (next_slot_ + 1) % window_;
  }
}

double invoke_stats::percentile(double p) const {
  if (handoffs_.empty()) return 0;
  std::vector<double> sorted = handoffs_;
  std::sort(sorted.begin(), sorted.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

std::string invoke_stats::to_json(const queue_state& queue) const {
  std::string out = "{\"init_duration_ms\":";
  if (init_duration_ms_)
    lambda::append_json_fixed(out, *init_duration_ms_, 3);
  else
    out.append("null");
  out.append(",\"invocations\":");
  lambda::append_json_int(out, static_cast<std::int64_t>(invocations_));
  out.append(",\"handoff_to_response_ms\":{\"p50\":");
  lambda::append_json_fixed(out, percentile(50), 3);
  out.append(",\"p90\":");
  lambda::append_json_fixed(out, percentile(90), 3);
  out.append(",\"p99\":");
  lambda::append_json_fixed(out, percentile(99), 3);
  out.append("},\"in_flight\":");
  lambda::append_json_int(out, static_cast<std::int64_t>(queue.in_flight));
  out.append(",\"queued\":");
  lambda::append_json_int(out, static_cast<std::int64_t>(queue.queued));
  out.append(",\"next_waiting\":");
  lambda::append_json_int(out, static_cast<std::int64_t>(queue.next_waiting));
  out.push_back('}');
  return out;
}

}  // namespace tsproxy::local
