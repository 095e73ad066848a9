#pragma once
// The completion token of the engine's hot paths: results come back as a tuple led by the error
// code, so expected failures (refused, reset, eof, cancelled) never throw.

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

namespace tsproxy {

inline constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace tsproxy
