#include "tsproxy/engine/deadline_watch.hpp"

#include <asio/steady_timer.hpp>
#include <cstdint>

namespace tsproxy {

struct deadline_watch::state {
  state(const asio::any_io_executor& executor, std::function<void()> on_expiry_)
      : timer(executor), on_expiry(std::move(on_expiry_)) {}

  asio::steady_timer timer;
  std::function<void()> on_expiry;
  time_point watched = time_point::max();  // max(): no watch under way
  time_point armed = time_point::max();    // when the pending wait ends; max(): none pending
  std::uint64_t generation = 0;            // a wait whose generation is older was superseded
  bool expired = false;
};

void deadline_watch::on_timer(const std::weak_ptr<state>& weak, std::uint64_t generation,
                              std::error_code ec) {
  const auto s = weak.lock();
  if (ec || !s || generation != s->generation) return;  // cancelled, its owner gone, or superseded
  s->armed = time_point::max();
  if (s->watched == time_point::max()) return;  // nothing to watch: the next watch sets the timer again
  if (steady_clock::now() < s->watched) return arm(s, s->watched);  // set for a sooner watch that ended
  s->expired = true;
  s->on_expiry();
}

void deadline_watch::arm(const std::shared_ptr<state>& s, time_point at) {
  s->armed = at;
  const auto generation = ++s->generation;
  s->timer.expires_at(at);  // a wait still pending completes as aborted
  s->timer.async_wait(
      [weak = std::weak_ptr(s), generation](std::error_code ec) { on_timer(weak, generation, ec); });
}

deadline_watch::deadline_watch(const asio::any_io_executor& executor, std::function<void()> on_expiry)
    : state_(std::make_shared<state>(executor, std::move(on_expiry))) {}

deadline_watch::~deadline_watch() = default;

bool deadline_watch::begin(time_point until) {
  if (steady_clock::now() >= until) return false;
  state_->watched = until;
  state_->expired = false;
  if (until < state_->armed) arm(state_, until);
  return true;
}

bool deadline_watch::end() noexcept {
  state_->watched = time_point::max();
  const bool expired = state_->expired;
  state_->expired = false;
  return expired;
}

bool deadline_watch::expired() const noexcept {
  return state_->expired;
}

}  // namespace tsproxy
