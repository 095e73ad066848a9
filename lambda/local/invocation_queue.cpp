#include "invocation_queue.hpp"

#include <algorithm>

namespace tsproxy::local {

namespace {

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

invocation_queue::invocation_queue(std::size_t max_concurrency, std::size_t max_queued,
                                   std::chrono::milliseconds timeout)
    : max_concurrency_(max_concurrency), max_queued_(max_queued), timeout_(timeout) {}

invocation_queue::admission invocation_queue::submit(std::shared_ptr<invocation> inv) {
  if (failure_) return admission::failed;
  if (pending_.size() >= max_queued_) return admission::full;
  pending_.push_back(std::move(inv));
  changed_.notify_all();
  return admission::queued;
}

void invocation_queue::withdraw(const invocation& inv) {
  const auto queued =
      std::find_if(pending_.begin(), pending_.end(), [&](const auto& p) { return p.get() == &inv; });
  if (queued != pending_.end()) pending_.erase(queued);
  finish(inv);
  if (queued != pending_.end() && slot_freed_) slot_freed_();
}

asio::awaitable<std::shared_ptr<invocation>> invocation_queue::next(std::shared_ptr<const bool> caller_gone) {
  ++next_waiting_;
  struct leave {
    std::size_t& count;
    ~leave() { --count; }
  } counted{next_waiting_};
  if (runtime_waiting_) runtime_waiting_();
  for (;;) {
    if (closed_ || (caller_gone && *caller_gone)) co_return nullptr;
    if (open_ && !failure_ && !pending_.empty() && running_.size() < max_concurrency_) {
      auto inv = std::move(pending_.front());
      pending_.pop_front();
      inv->state = invocation::phase::running;
      inv->deadline = std::chrono::steady_clock::now() + timeout_;
      inv->deadline_epoch_ms = epoch_ms_now() + timeout_.count();
      running_.emplace(inv->request_id, inv);
      inv->signal.notify_all();  // its waiter now waits for the function's deadline
      co_return inv;
    }
    co_await changed_.wait();
  }
}

void invocation_queue::requeue(std::shared_ptr<invocation> inv) {
  running_.erase(inv->request_id);
  if (inv->state != invocation::phase::running || inv->client_gone) return;
  inv->state = invocation::phase::queued;
  inv->signal.notify_all();
  pending_.push_front(std::move(inv));
  changed_.notify_all();
}

std::shared_ptr<invocation> invocation_queue::running(std::string_view request_id) const {
  const auto it = running_.find(request_id);
  return it == running_.end() ? nullptr : it->second;
}

void invocation_queue::finish(const invocation& inv) {
  const auto it = running_.find(inv.request_id);
  if (it != running_.end() && it->second.get() == &inv) {
    running_.erase(it);
    changed_.notify_all();
    if (slot_freed_) slot_freed_();
  }
}

void invocation_queue::open() {
  open_ = true;
  changed_.notify_all();
}

void invocation_queue::fail(invocation_failure failure) {
  if (failure_) return;
  failure_ = std::move(failure);
  const auto result = [&] {
    return make_error_result(failure_->status, failure_->error_type, failure_->body);
  };
  for (auto& inv : pending_) inv->fail(result(), failure_->error_type);
  pending_.clear();
  auto running = std::move(running_);
  running_.clear();
  for (auto& [id, inv] : running) inv->fail(result(), failure_->error_type);
  changed_.notify_all();
  if (slot_freed_) slot_freed_();
}

void invocation_queue::close() {
  closed_ = true;
  changed_.notify_all();
}

}  // namespace tsproxy::local
