#pragma once
// Invocations between the Function URL listener and the runtime: a bounded FIFO of queued ones, the
// running ones by request id, and the concurrency limit. The runtime's `next` long-polls here.

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/event_signal.hpp"
#include "invocation.hpp"

namespace tsproxy::local {

// Why every invocation fails from now on (init error, runtime exit, shutdown).
struct invocation_failure {
  int status = 502;
  std::string error_type;
  std::string body;  // JSON
};

class invocation_queue {
 public:
  invocation_queue(std::size_t max_concurrency, std::size_t max_queued, std::chrono::milliseconds timeout);

  enum class admission { queued, full, failed };
  // Function URL side. `failed`: failure() says why; `full`: answer 429.
  admission submit(std::shared_ptr<invocation> inv);
  // The Function URL side gave up (timeout): the invocation leaves the queue or frees its slot.
  void withdraw(const invocation& inv);

  // Runtime side: waits until an invocation may run and returns it, marked running with its
  // deadline set. nullptr once closed, or once `*caller_gone` turned true (see wake_waiters()).
  asio::awaitable<std::shared_ptr<invocation>> next(std::shared_ptr<const bool> caller_gone);
  // Makes waiting next() calls re-check their caller (one of them went away).
  void wake_waiters() { changed_.notify_all(); }
  // The `next` response could not be written: back to the head of the queue.
  void requeue(std::shared_ptr<invocation> inv);
  // The running invocation with this id, or nullptr.
  std::shared_ptr<invocation> running(std::string_view request_id) const;
  // Its result is complete: frees its slot.
  void finish(const invocation& inv);

  // Init is complete: invocations may be handed out.
  void open();
  // Every queued, running and future invocation fails with `failure` (sticky).
  void fail(invocation_failure failure);
  // Shutting down: waiting `next` calls return nullptr.
  void close();
  // Called whenever a slot frees (a result, a withdrawal, a failure), so that an owner can hand out more.
  void on_slot_freed(std::function<void()> handler) { slot_freed_ = std::move(handler); }
  // Called whenever the runtime starts waiting at `next`.
  void on_runtime_waiting(std::function<void()> handler) { runtime_waiting_ = std::move(handler); }

  const std::optional<invocation_failure>& failure() const noexcept { return failure_; }
  std::size_t in_flight() const noexcept { return running_.size(); }
  std::size_t queued() const noexcept { return pending_.size(); }
  std::size_t next_waiting() const noexcept { return next_waiting_; }

 private:
  std::size_t max_concurrency_;
  std::size_t max_queued_;
  std::chrono::milliseconds timeout_;
  bool open_ = false;
  bool closed_ = false;
  std::optional<invocation_failure> failure_;
  std::size_t next_waiting_ = 0;
  std::deque<std::shared_ptr<invocation>> pending_;
  std::map<std::string, std::shared_ptr<invocation>, std::less<>> running_;
  lambda::event_signal changed_;
  std::function<void()> slot_freed_;
  std::function<void()> runtime_waiting_;
};

}  // namespace tsproxy::local
