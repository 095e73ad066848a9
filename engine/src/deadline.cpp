#include "tsproxy/engine/deadline.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

asio::awaitable<std::error_code> within(phase_bound bound, asio::awaitable<std::error_code> op) {
  using namespace asio::experimental::awaitable_operators;
  if (steady_clock::now() >= bound.until) co_return make_error_code(bound.on_timeout);
  asio::steady_timer timer(co_await asio::this_coro::executor, bound.until);
  // as_tuple keeps the losing timer's cancellation from throwing.
  auto result = co_await (std::move(op) || timer.async_wait(use_tuple));
  if (result.index() == 0) co_return std::get<0>(result);
  co_return make_error_code(bound.on_timeout);
}

}  // namespace tsproxy
