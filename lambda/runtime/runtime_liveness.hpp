#pragma once
// Whether Lambda is still there, decided for the whole process from what every thread's loops see.
//
// When the Runtime API cannot be reached, Lambda is gone and the process exits — but only once it has
// been unreachable for `patience` without a break, and no invocation is in flight on any thread. A break
// is an answer, or a `next` that stayed on the wire for a while before it failed (a long poll that Lambda
// held, then dropped): so short blips, however far apart, never add up. Lock-free: loops on several
// threads record their outcomes at once. The clock is passed in so that tests can move it.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "tsproxy/engine/deadline.hpp"

namespace tsproxy::lambda {

class runtime_liveness {
 public:
  using clock_function = std::function<time_point()>;

  explicit runtime_liveness(
      std::chrono::steady_clock::duration patience, clock_function now = [] { return steady_clock::now(); })
      : patience_(patience), now_(std::move(now)) {}

  void invocation_started() noexcept;
  void invocation_finished() noexcept;
  void reached() noexcept;  // a `next` was answered
  // A `next` failed; `was_held`: it had been on the wire a while. True when the process should exit.
  bool failed(bool was_held) noexcept;

 private:
  static std::int64_t ticks(time_point t) noexcept { return t.time_since_epoch().count(); }

  std::chrono::steady_clock::duration patience_;
  clock_function now_;
  std::atomic<std::int64_t> unreachable_since_{0};  // steady_clock ticks; 0: reached since the last failure
  std::atomic<unsigned> in_flight_{0};
};

}  // namespace tsproxy::lambda
