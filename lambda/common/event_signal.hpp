#pragma once
// A condition variable for coroutines on one thread: waiters re-check their condition after every
// wake-up. Nothing can run between a waiter's check and the start of its wait (one thread), so no
// notification is lost.

#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <list>

#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

class event_signal {
 public:
  // Waits until notify_all() or `until`. Returns false when `until` passed (the caller re-checks
  // its condition either way).
  asio::awaitable<bool> wait_until(std::chrono::steady_clock::time_point until) {
    asio::steady_timer timer(co_await asio::this_coro::executor, until);
    const auto self = waiters_.insert(waiters_.end(), &timer);
    auto [ec] = co_await timer.async_wait(use_tuple);
    waiters_.erase(self);
    co_return static_cast<bool>(ec);  // cancelled by notify_all
  }

  asio::awaitable<void> wait() { co_await wait_until(std::chrono::steady_clock::time_point::max()); }

  void notify_all() {
    for (auto* timer : waiters_) timer->cancel();
  }

 private:
  std::list<asio::steady_timer*> waiters_;
};

}  // namespace tsproxy::lambda
