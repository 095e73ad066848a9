#include "runtime/runtime_liveness.hpp"

namespace tsproxy::lambda {

void runtime_liveness::invocation_started() noexcept {
  in_flight_.fetch_add(1, std::memory_order_relaxed);
}

void runtime_liveness::invocation_finished() noexcept {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
}

void runtime_liveness::reached() noexcept {
  unreachable_since_.store(0, std::memory_order_relaxed);
}

bool runtime_liveness::failed(bool was_held) noexcept {
  const auto now = ticks(now_());
  std::int64_t since = unreachable_since_.load(std::memory_order_relaxed);
  if (was_held) {
    unreachable_since_.store(now, std::memory_order_relaxed);
    since = now;
  } else if (since == 0 &&
             unreachable_since_.compare_exchange_strong(since, now, std::memory_order_relaxed)) {
    since = now;
  }
  return now - since > patience_.count() && in_flight_.load(std::memory_order_relaxed) == 0;
}

}  // namespace tsproxy::lambda
