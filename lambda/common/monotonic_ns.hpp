#pragma once
// A steady_clock instant as nanoseconds of CLOCK_MONOTONIC (what libstdc++'s steady_clock reads): the form in
// which separate processes' logs stamp instants that a reader compares.

#include <chrono>
#include <cstdint>

namespace tsproxy::lambda {

inline std::int64_t monotonic_ns(std::chrono::steady_clock::time_point at) noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

}  // namespace tsproxy::lambda
