#include "tsproxy/engine/connection_pool.hpp"

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/upstream_connector.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

connection_pool::connection_pool(const pool_settings& settings, upstream_connector& connector, pool_clock now)
    : settings_(settings), connector_(connector), now_(std::move(now)) {}

connection_pool::~connection_pool() {
  clear();
}

bool connection_pool::retired(const pooled_connection& c, time_point now) const {
  return now - c.last_used >= settings_.idle_timeout || now - c.created >= settings_.max_age ||
         c.requests >= settings_.max_requests_per_connection;
}

asio::awaitable<std::error_code> connection_pool::acquire(const upstream_target& target, time_point deadline,
                                                          bool fresh, connection_ptr& out) {
  const auto now = now_();
  sweep(now);
  if (settings_.enabled && !fresh) {
    if (auto it = idle_.find(target); it != idle_.end()) {
      auto& stack = it->second;
      while (!stack.empty()) {
        connection_ptr c = std::move(stack.back());
        stack.pop_back();
        --idle_count_;
        if (retired(*c, now)) {
          ++stats_.evictions;
          continue;
        }
        if (!c->stream->idle_and_open()) {
          ++stats_.stale_discards;
          continue;
        }
        ++stats_.hits;
        c->from_pool = true;
        out = std::move(c);
        co_return std::error_code{};
      }
    }
  }
  ++stats_.misses;
  co_return co_await open_new(target, deadline, out);
}

asio::awaitable<std::error_code> connection_pool::open_new(const upstream_target& target, time_point deadline,
                                                           connection_ptr& out) {
  auto c = std::make_unique<pooled_connection>();
  if (auto ec = co_await connector_.open(target, deadline, c->stream, &c->opening)) {
    ++stats_.open_failures;
    co_return ec;
  }
  ++stats_.opened;
  if (c->stream->tls_session_reused()) ++stats_.tls_resumptions;
  c->target = target;
  c->created = c->last_used = now_();
  out = std::move(c);
  co_return std::error_code{};
}

void connection_pool::release(connection_ptr connection, bool reusable) {
  if (!connection) return;
  const auto now = now_();
  connection->last_used = now;
  if (!reusable || !settings_.enabled || settings_.max_idle_per_target == 0 || settings_.max_idle_total == 0)
    return;
  if (retired(*connection, now)) {
    ++stats_.evictions;
    return;
  }
  connection->from_pool = false;
  const upstream_target& target = connection->target;
  auto& stack = idle_[target];
  stack.push_back(std::move(connection));
  ++idle_count_;
  enforce_limits(stack.back()->target);
}

void connection_pool::enforce_limits(const upstream_target& just_parked) {
  auto& stack = idle_[just_parked];
  while (stack.size() > settings_.max_idle_per_target) {
    stack.erase(stack.begin());  // least recently used of this target
    --idle_count_;
    ++stats_.evictions;
  }
  while (idle_count_ > settings_.max_idle_total) {
    // The least recently used connection over all targets sits at the front of one of the stacks.
    std::vector<connection_ptr>* oldest = nullptr;
    for (auto& [key, s] : idle_) {
      if (!s.empty() && (oldest == nullptr || s.front()->last_used < oldest->front()->last_used)) oldest = &s;
    }
    oldest->erase(oldest->begin());
    --idle_count_;
    ++stats_.evictions;
  }
}

void connection_pool::sweep(time_point now) {
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& stack = it->second;
    const auto before = stack.size();
    std::erase_if(stack, [&](const connection_ptr& c) { return retired(*c, now); });
    stats_.evictions += before - stack.size();
    idle_count_ -= before - stack.size();
    it = stack.empty() ? idle_.erase(it) : std::next(it);
  }
}

asio::awaitable<std::size_t> connection_pool::prewarm(const upstream_target& target, std::size_t count,
                                                      time_point deadline) {
  if (!settings_.enabled) co_return 0;
  const std::size_t want = std::min(count, settings_.max_idle_per_target);
  const std::size_t have = idle_for(target);
  if (have >= want) co_return have;

  // A timer serves as the latch: the last opener to finish cancels it. It never expires by itself,
  // because the openers refer to this pool; each of them is bounded by `deadline`.
  auto executor = co_await asio::this_coro::executor;
  struct latch {
    asio::steady_timer timer;
    std::size_t pending;
  };
  auto done = std::make_shared<latch>(latch{asio::steady_timer(executor, time_point::max()), want - have});
  for (std::size_t i = have; i < want; ++i) {
    spawn_reported(executor, "pool prewarm",
                   [](connection_pool* self, upstream_target t, time_point d,
                      std::shared_ptr<latch> l) -> asio::awaitable<void> {
                     connection_ptr c;
                     if (!co_await self->open_new(t, d, c)) self->release(std::move(c), true);
                     if (--l->pending == 0) l->timer.cancel();
                   }(this, target, deadline, done));
  }
  co_await done->timer.async_wait(use_tuple);
  co_return idle_for(target);
}

void connection_pool::clear() {
  stats_.evictions += idle_count_;
  idle_.clear();
  idle_count_ = 0;
}

std::size_t connection_pool::idle_for(const upstream_target& target) const {
  auto it = idle_.find(target);
  return it == idle_.end() ? 0 : it->second.size();
}

pool_stats connection_pool::stats() const {
  pool_stats s = stats_;
  s.idle = idle_count_;
  return s;
}

}  // namespace tsproxy
