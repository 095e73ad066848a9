#pragma once
// Tests wait for a state, never for a time: poll the state itself until it holds. The bound only
// turns a state that never comes into a failure instead of a hang, so it is generous (a loaded
// 2-core machine may be many times slower than a quiet one) and never part of what a test asserts.

#include <chrono>
#include <thread>

namespace tsproxy::test {

inline constexpr std::chrono::milliseconds state_wait_bound = std::chrono::seconds(30);

// True as soon as `done()` is; false if it still is not after `bound`.
template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds bound = state_wait_bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace tsproxy::test
