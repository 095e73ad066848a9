#pragma once
// Counts something as live for as long as a guard exists: a coroutine that runs, a request in flight.
// Whoever owns the count may only go away once it is back to zero.

#include <cstddef>

namespace tsproxy::local {

class count_guard {
 public:
  explicit count_guard(std::size_t& count) : count_(count) { ++count_; }
  ~count_guard() { --count_; }
  count_guard(const count_guard&) = delete;
  count_guard& operator=(const count_guard&) = delete;

 private:
  std::size_t& count_;
};

}  // namespace tsproxy::local
