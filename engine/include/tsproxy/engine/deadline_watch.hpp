#pragma once
// One long-lived timer that bounds the calls of one owner (a connection) in turn, each by its own deadline.
// A timer armed and cancelled per call costs a timerfd_settime whenever it becomes the soonest one, and
// within()'s `||` two spawned coroutines; this one is set again only when it fires before the deadline it
// watches or a sooner deadline comes, so a call that ends in time costs no system call and no allocation.
// Use it from one thread (the executor's); the owner makes its call end when told the deadline passed.

#include <asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <system_error>

#include "tsproxy/engine/deadline.hpp"

namespace tsproxy {

class deadline_watch {
 public:
  // `on_expiry` runs when a watched deadline passes: it must end the call (close its socket, so that
  // neither a pending operation nor the next one can wait any longer).
  deadline_watch(const asio::any_io_executor& executor, std::function<void()> on_expiry);
  ~deadline_watch();
  deadline_watch(const deadline_watch&) = delete;
  deadline_watch& operator=(const deadline_watch&) = delete;

  // Watches `until` until end(); false, and nothing watched, when it has passed already.
  bool begin(time_point until);
  // Ends the watch; true when its deadline passed meanwhile (on_expiry has run).
  bool end() noexcept;
  // Whether the deadline of the watch under way has passed.
  bool expired() const noexcept;

 private:
  struct state;
  static void arm(const std::shared_ptr<state>& s, time_point at);
  static void on_timer(const std::weak_ptr<state>& weak, std::uint64_t generation, std::error_code ec);

  std::shared_ptr<state> state_;
};

}  // namespace tsproxy
