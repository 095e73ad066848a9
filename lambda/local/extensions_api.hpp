#pragma once
// The Lambda Extensions API (2020-01-01) on the runtime port: register, event/next (INVOKE and
// SHUTDOWN events), init/error and exit/error. As in Lambda, an extension's init/error fails the init:
// it is handed to the same handler as the runtime's own /init/error. In Managed Instances mode external
// extensions may register for SHUTDOWN only, as Lambda there allows.

#include <asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/event_signal.hpp"
#include "function_identity.hpp"
#include "server_connection.hpp"

namespace tsproxy::local {

class id_generator;
class init_tracker;
struct invocation;

class extensions_api {
 public:
  // Events waiting for one extension beyond this are dropped, oldest first (with a log line).
  static constexpr std::size_t max_pending_events = 1024;
  static constexpr std::size_t max_request_body = 64 * 1024;

  using init_error_handler = std::function<void(std::string_view error_type, std::string_view body)>;

  extensions_api(const function_identity& function, bool managed_instances, init_tracker& init,
                 id_generator& ids, init_error_handler on_init_error)
      : function_(function),
        managed_instances_(managed_instances),
        init_(init),
        ids_(ids),
        on_init_error_(std::move(on_init_error)) {}

  // Whether this request (method, path) is an Extensions API route.
  static bool handles(std::string_view path) noexcept { return path.starts_with("/2020-01-01/extension/"); }
  // Serves one Extensions API request; returns whether the connection may be reused.
  asio::awaitable<bool> serve(server_connection& conn, std::string_view path);

  // An INVOKE event to every extension registered for INVOKE.
  void deliver_invoke(const invocation& inv);
  // A SHUTDOWN event to every extension registered for SHUTDOWN.
  void deliver_shutdown(std::int64_t deadline_epoch_ms, std::string_view reason);
  // The environment is gone: waiting event/next calls with no event left end (their connection closes).
  void close();
  // Whether every registered extension waits at event/next with no event for it: it has "completed",
  // in Lambda's words, and the environment may freeze.
  bool all_waiting() const noexcept;
  // Called whenever an extension starts waiting at event/next.
  void on_extension_waiting(std::function<void()> handler) { extension_waiting_ = std::move(handler); }

 private:
  struct extension {
    std::string id;
    std::string name;
    bool wants_invoke = false;
    bool wants_shutdown = false;
    bool called_next = false;
    bool waiting = false;  // inside event/next with no event for it
    std::deque<std::string> events;
    lambda::event_signal signal;
  };

  asio::awaitable<bool> handle_register(server_connection& conn);
  asio::awaitable<bool> handle_next(server_connection& conn);
  asio::awaitable<bool> handle_error(server_connection& conn, std::string_view which);
  void push(extension& ext, const std::string& event);

  const function_identity& function_;
  bool managed_instances_;
  init_tracker& init_;
  id_generator& ids_;
  init_error_handler on_init_error_;
  std::map<std::string, std::unique_ptr<extension>, std::less<>> extensions_;
  bool closed_ = false;
  std::function<void()> extension_waiting_;
};

}  // namespace tsproxy::local
