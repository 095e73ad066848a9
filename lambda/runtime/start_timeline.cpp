#include "runtime/start_timeline.hpp"

#include <sys/resource.h>

#include <array>
#include <chrono>
#include <cstdint>

#include "common/log.hpp"
#include "common/monotonic_ns.hpp"

namespace tsproxy::lambda {

namespace {

struct stamp {
  std::int64_t monotonic_ns = 0;
  std::int64_t minor_faults = 0;
  std::int64_t major_faults = 0;
};

constexpr std::size_t phase_count = static_cast<std::size_t>(start_phase::first_next_sent) + 1;
std::array<stamp, phase_count> stamps;

// The log field of each phase after the first: its duration, from the end of the phase before.
constexpr std::array<std::string_view, phase_count> duration_fields = {
    "", "io_backend_ms", "configuration_ms", "runtime_built_ms", "threads_started_ms", "first_next_ms"};

double ms_between(const stamp& from, const stamp& to) {
  return static_cast<double>(to.monotonic_ns - from.monotonic_ns) / 1e6;
}

void log_timeline() {
  std::array<log_field, phase_count + 3> fields;
  const stamp& entered = stamps.front();
  const stamp& last = stamps.back();
  std::size_t n = 0;
  fields[n++] = {"main_entered_monotonic_ns", entered.monotonic_ns};
  for (std::size_t i = 1; i < phase_count; ++i)
    fields[n++] = {duration_fields[i], ms_between(stamps[i - 1], stamps[i])};
  fields[n++] = {"minor_faults_before_main", entered.minor_faults};
  fields[n++] = {"minor_faults_to_first_next", last.minor_faults};
  fields[n++] = {"major_faults_to_first_next", last.major_faults};
  log(log_level::debug, "start timeline", std::span<const log_field>(fields.data(), n));
}

}  // namespace

void stamp_start(start_phase phase) noexcept {
  auto& s = stamps.at(static_cast<std::size_t>(phase));
  if (s.monotonic_ns != 0) return;
  s.monotonic_ns = monotonic_ns(std::chrono::steady_clock::now());
  const bool first_or_last = phase == start_phase::main_entered || phase == start_phase::first_next_sent;
  rusage usage{};
  if (first_or_last && getrusage(RUSAGE_SELF, &usage) == 0) {  // the line reports the faults at these two
    s.minor_faults = usage.ru_minflt;
    s.major_faults = usage.ru_majflt;
  }
  if (phase == start_phase::first_next_sent && log_enabled(log_level::debug)) {
    try {
      log_timeline();
    } catch (...) {  // a lost diagnostic line must not stop the runtime
    }
  }
}

}  // namespace tsproxy::lambda
