#include "runtime_api_server.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "adapter/error_json.hpp"
#include "adapter/json_writer.hpp"
#include "common/log.hpp"
#include "count_guard.hpp"
#include "init_tracker.hpp"
#include "invocation_queue.hpp"
#include "listener.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::local {

namespace {

constexpr std::string_view request_id_header = "Lambda-Runtime-Aws-Request-Id";
constexpr std::string_view deadline_header = "Lambda-Runtime-Deadline-Ms";
constexpr std::string_view arn_header = "Lambda-Runtime-Invoked-Function-Arn";
constexpr std::string_view trace_id_header = "Lambda-Runtime-Trace-Id";
constexpr std::string_view invalid_request = "InvalidRequest";
constexpr std::string_view unknown_route = "unknown route";
constexpr std::string_view invalid_request_id = "InvalidRequestID";
constexpr std::string_view invalid_request_id_message = "Invalid request ID";
constexpr std::string_view entity_too_large = "RequestEntityTooLarge";
constexpr std::string_view runtime_prefix = "/2018-06-01/runtime/";
constexpr std::string_view accepted_body = R"({"status":"OK"})";

using lambda::error_json;

// The errorType of an error body, for posts without the Lambda-Runtime-Function-Error-Type header.
std::string error_type_of(const request_head& head, std::string_view body) {
  const auto header = find_header(head.headers, "Lambda-Runtime-Function-Error-Type");
  if (!header.empty()) return std::string(header);
  const auto key = body.find("\"errorType\"");
  if (key != std::string_view::npos) {
    const auto open = body.find('"', body.find(':', key) + 1);
    const auto close = open == std::string_view::npos ? open : body.find('"', open + 1);
    if (close != std::string_view::npos) return std::string(body.substr(open + 1, close - open - 1));
  }
  return "Unhandled";
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Watches a runtime connection while its `next` long-polls: `gone` turns true when the peer closes it
// (or it fails). Data that arrives instead (a pipelined request) is left for the connection to read.
struct next_watch {
  bool gone = false;
  bool finished = false;  // the long poll ended: the socket must not be touched any more
};

asio::awaitable<void> watch_for_close(asio::ip::tcp::socket& socket, std::shared_ptr<next_watch> watch,
                                      invocation_queue& queue) {
  auto [ec] = co_await socket.async_wait(asio::socket_base::wait_read, use_tuple);
  if (watch->finished) co_return;
  char byte;
  const auto n = ec ? -1 : ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    watch->gone = true;
    queue.wake_waiters();
  }
}

}  // namespace

runtime_api_server::runtime_api_server(asio::io_context& io, settings config,
                                       const function_identity& function, invocation_queue& queue,
                                       init_tracker& init, extensions_api& extensions, stats_provider stats,
                                       init_error_handler on_init_error)
    : io_(io),
      config_(config),
      function_(function),
      queue_(queue),
      init_(init),
      extensions_(extensions),
      stats_(std::move(stats)),
      on_init_error_(std::move(on_init_error)),
      acceptor_(io) {}

std::error_code runtime_api_server::listen(const asio::ip::tcp::endpoint& endpoint) {
  return open_acceptor(acceptor_, endpoint);
}

std::uint16_t runtime_api_server::port() const {
  std::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void runtime_api_server::start() {
  spawn_reported(io_.get_executor(), "runtime_api_accept", accept_loop());
}

void runtime_api_server::stop() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> runtime_api_server::accept_loop() {
  count_guard live(live_);
  co_await accept_on(acceptor_, "runtime_api", [this](asio::ip::tcp::socket socket) {
    spawn_reported(io_.get_executor(), "runtime_api_connection", serve(std::move(socket)));
  });
}

asio::awaitable<void> runtime_api_server::serve(asio::ip::tcp::socket socket) {
  count_guard live(live_);
  server_connection conn(std::move(socket), http_limits{});
  for (;;) {
    if (const auto ec = co_await conn.read_head(no_deadline)) {
      if (ec != engine_error::connection_closed && ec != asio::error::operation_aborted &&
          ec != asio::error::connection_reset && ec != engine_error::http_truncated) {
        co_await conn.respond_json(400, error_json(invalid_request, ec.message()), false, no_deadline);
      }
      break;
    }
    if (!co_await route(conn)) break;
  }
  conn.close();
}

asio::awaitable<bool> runtime_api_server::route(server_connection& conn) {
  const auto& head = conn.head();
  const std::string_view target = head.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path.starts_with(runtime_prefix)) {
    const auto rest = path.substr(runtime_prefix.size());
    if (head.method == "GET" && rest == "invocation/next") co_return co_await handle_next(conn);
    if (head.method == "POST" && rest == "init/error") co_return co_await handle_init_error(conn);
    if (head.method == "POST" && rest.starts_with("invocation/")) {
      const auto id_and_kind = rest.substr(std::string_view("invocation/").size());
      const auto slash = id_and_kind.find('/');
      if (slash != std::string_view::npos) {
        const auto kind = id_and_kind.substr(slash + 1);
        const std::string id(id_and_kind.substr(0, slash));
        if (kind == "response") co_return co_await handle_result(conn, id, false);
        if (kind == "error") co_return co_await handle_result(conn, id, true);
      }
    }
  } else if (extensions_api::handles(path)) {
    co_return co_await extensions_.serve(conn, path);
  } else if (head.method == "GET" && path == "/local/stats") {
    if (co_await conn.discard_body(no_deadline)) co_return false;
    const auto body = stats_();
    co_return !co_await conn.respond_json(200, body, conn.keep_alive(), no_deadline) && conn.keep_alive();
  }
  if (co_await conn.discard_body(no_deadline)) co_return false;
  co_return !co_await conn.respond_json(404, error_json(invalid_request, unknown_route), conn.keep_alive(),
                                        no_deadline) &&
      conn.keep_alive();
}

asio::awaitable<bool> runtime_api_server::handle_next(server_connection& conn) {
  if (co_await conn.discard_body(no_deadline)) co_return false;
  const bool keep = conn.keep_alive();
  if (!runtime_seen_) {
    runtime_seen_ = true;
    init_.runtime_ready();
  }
  // A runtime that gives up on its `next` (closes the connection) must not be handed an invocation:
  // a watcher notices the close while the long poll waits.
  auto watch = std::make_shared<next_watch>();
  spawn_reported(io_.get_executor(), "runtime_next_watch", watch_for_close(conn.socket(), watch, queue_));
  auto inv = co_await queue_.next(std::shared_ptr<const bool>(watch, &watch->gone));
  watch->finished = true;
  std::error_code ignored;
  conn.socket().cancel(ignored);  // ends the watcher's wait
  if (!inv) co_return false;      // shutting down, or the runtime went away
  const std::string deadline = std::to_string(inv->deadline_epoch_ms);
  const std::string arn = function_.arn();
  std::vector<header_view> headers;
  headers.push_back({request_id_header, inv->request_id});
  headers.push_back({deadline_header, deadline});
  headers.push_back({arn_header, arn});
  headers.push_back({trace_id_header, inv->trace_id});
  // The response leaves in the write's first attempt, so the handoff clock starts here.
  inv->handed_at = std::chrono::steady_clock::now();
  const auto ec = co_await conn.respond_json(200, inv->event, keep, no_deadline, std::move(headers));
  if (ec) {
    // The runtime gave up on this `next` (its connection is gone): someone else must run it.
    queue_.requeue(std::move(inv));
    co_return false;
  }
  extensions_.deliver_invoke(*inv);
  co_return keep;
}

asio::awaitable<bool> runtime_api_server::handle_result(server_connection& conn, std::string_view request_id,
                                                        bool is_error) {
  auto inv = queue_.running(request_id);
  const auto& head = conn.head();
  if (!inv || inv->answered_or_streaming()) {
    if (co_await conn.discard_body(no_deadline)) co_return false;
    lambda::log(lambda::log_level::warn, "invalid_request_id", {{"request_id", request_id}});
    co_return !co_await conn.respond_json(400, error_json(invalid_request_id, invalid_request_id_message),
                                          conn.keep_alive(), no_deadline) &&
        conn.keep_alive();
  }
  const bool streaming =
      !is_error && iequals(find_header(head.headers, "Lambda-Runtime-Function-Response-Mode"), "streaming");
  if (streaming) {
    if (co_await receive_streamed_result(conn, *inv, config_.stream)) {
      queue_.finish(*inv);
      co_return false;
    }
    queue_.finish(*inv);
  } else {
    std::string body;
    const auto limit = is_error ? config_.max_error_bytes : config_.max_result_bytes;
    const auto ec = co_await conn.read_body(body, limit, no_deadline);
    if (ec == engine_error::http_body_too_large) {
      const std::string message = "Response payload size exceeded maximum allowed payload size (" +
                                  std::to_string(limit) + " bytes).";
      inv->handoff_ms = ms_since(inv->handed_at);
      inv->answer(make_error_result(502, "Function.ResponseSizeTooLarge",
                                    error_json("Function.ResponseSizeTooLarge", message)),
                  "Function.ResponseSizeTooLarge");
      queue_.finish(*inv);
      lambda::log(lambda::log_level::error, "result_too_large",
                  {{"request_id", request_id}, {"limit", static_cast<std::int64_t>(limit)}});
      if (co_await conn.discard_body(no_deadline)) co_return false;
      co_return !co_await conn.respond_json(413, error_json(entity_too_large, message), conn.keep_alive(),
                                            no_deadline) &&
          conn.keep_alive();
    }
    if (ec) {
      // The POST broke off: the runtime is likely gone; the deadline or its exit answers the caller.
      co_return false;
    }
    inv->handoff_ms = ms_since(inv->handed_at);
    if (is_error) {
      const auto type = error_type_of(head, body);
      lambda::log(lambda::log_level::error, "function_error",
                  {{"request_id", request_id}, {"error_type", type}, {"body", body}});
      inv->answer(make_error_result(502, type, body), type);
    } else {
      http_result result;
      std::string error;
      if (inv->direct) {
        result.status = 200;
        result.headers.push_back({"Content-Type", "application/json"});
        result.body = std::move(body);
        inv->answer(std::move(result), {});
      } else if (decode_buffered_result(body, result, error)) {
        inv->answer(std::move(result), {});
      } else {
        lambda::log(lambda::log_level::error, "invalid_result",
                    {{"request_id", request_id}, {"error", error}});
        inv->answer(
            make_error_result(502, "Runtime.InvalidResponse", error_json("Runtime.InvalidResponse", error)),
            "Runtime.InvalidResponse");
      }
    }
    queue_.finish(*inv);
  }
  co_return !co_await conn.respond_json(202, accepted_body, conn.keep_alive(), no_deadline) &&
      conn.keep_alive();
}

asio::awaitable<bool> runtime_api_server::handle_init_error(server_connection& conn) {
  std::string body;
  const auto ec = co_await conn.read_body(body, config_.max_error_bytes, no_deadline);
  if (ec && ec != engine_error::http_body_too_large) co_return false;
  if (ec && co_await conn.discard_body(no_deadline)) co_return false;
  const auto type = error_type_of(conn.head(), body);
  const bool keep = conn.keep_alive();
  const bool ok = !co_await conn.respond_json(202, accepted_body, keep, no_deadline);
  on_init_error_(type, body);
  co_return ok&& keep;
}

}  // namespace tsproxy::local
