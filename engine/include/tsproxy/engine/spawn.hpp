#pragma once
// Launching coroutines. An exception escaping a coroutine is a bug, never an expected failure:
// it is reported with the coroutine's name and the process goes on serving everything else.

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <exception>
#include <string_view>

namespace tsproxy {

void report_coroutine_exception(std::string_view name, const std::exception_ptr& error) noexcept;

template <typename Executor>
void spawn_reported(const Executor& executor, std::string_view name, asio::awaitable<void> work) {
  asio::co_spawn(executor, std::move(work), [name](const std::exception_ptr& error) {
    if (error) report_coroutine_exception(name, error);
  });
}

}  // namespace tsproxy
