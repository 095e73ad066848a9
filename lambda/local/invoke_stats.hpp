#pragma once
// Counters and timings served at GET /local/stats for tests and benchmarks.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tsproxy::local {

class invoke_stats {
 public:
  // Keeps the most recent `window` handoff timings for the percentiles (bounded memory).
  explicit invoke_stats(std::size_t window = 100'000) : window_(window) {}

  void set_init_duration(double ms) { init_duration_ms_ = ms; }
  std::optional<double> init_duration() const { return init_duration_ms_; }
  // One completed invocation; `handoff_ms` absent when the function never answered.
  void record(std::optional<double> handoff_ms);

  // Nearest-rank percentile of the recorded handoffs (0 when none).
  double percentile(double p) const;

  // What the invocation queue holds right now, so that tests can wait for a state instead of a time.
  struct queue_state {
    std::size_t in_flight = 0;     // handed to the runtime, not answered yet
    std::size_t queued = 0;        // waiting for a free slot or for a `next`
    std::size_t next_waiting = 0;  // `next` long polls the runtime has outstanding
  };

  // {"init_duration_ms":..,"invocations":N,"handoff_to_response_ms":{"p50":..,"p90":..,"p99":..},
  //  "in_flight":..,"queued":..,"next_waiting":..}
  std::string to_json(const queue_state& queue) const;

 private:
  std::size_t window_;
  std::optional<double> init_duration_ms_;
  std::size_t invocations_ = 0;
  std::vector<double> handoffs_;  // a ring once full
  std::size_t next_slot_ = 0;
};

}  // namespace tsproxy::local
