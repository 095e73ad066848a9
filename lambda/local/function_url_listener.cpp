#include "function_url_listener.hpp"

#include <ctime>

#include "adapter/error_json.hpp"
#include "adapter/json_writer.hpp"
#include "common/log.hpp"
#include "count_guard.hpp"
#include "environment_pool.hpp"
#include "event_builder.hpp"
#include "function_url_auth.hpp"
#include "ids.hpp"
#include "invoke_stats.hpp"
#include "listener.hpp"
#include "stream_relay.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_writer.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::local {

namespace {

using clock = std::chrono::steady_clock;

constexpr std::string_view date_header = "Date";
constexpr std::string_view error_type_header = "x-amzn-ErrorType";
constexpr std::string_view request_id_header = "x-amzn-RequestId";

// A Function URL whose function reached its concurrency limit answers 429 with this error type and
// body, the shape of its other errors (AccessDeniedException's {"Message":"Forbidden"}); the SDKs name
// the type TooManyRequestsException
// (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors).
constexpr int throttled_status = 429;
constexpr std::string_view throttled_error_type = "TooManyRequestsException";
constexpr std::string_view throttled_body = R"({"Message":"Rate Exceeded."})";

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

using lambda::error_json;

double ms_between(clock::time_point from, clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

function_url_listener::function_url_listener(asio::io_context& io, const local_options& options,
                                             const function_identity& function,
                                             environment_pool& environments, invoke_stats& stats,
                                             id_generator& ids)
    : io_(io),
      options_(options),
      function_(function),
      environments_(environments),
      stats_(stats),
      ids_(ids),
      acceptor_(io) {}

std::error_code function_url_listener::listen(const asio::ip::tcp::endpoint& endpoint) {
  return open_acceptor(acceptor_, endpoint);
}

std::uint16_t function_url_listener::port() const {
  std::error_code ec;
  return acceptor_.local_endpoint(ec).port();
}

void function_url_listener::start() {
  spawn_reported(io_.get_executor(), "function_url_accept", accept_loop());
}

void function_url_listener::stop() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

namespace {
constexpr std::string_view direct_invoke_path = "/2015-03-31/functions/function/invocations";
}  // namespace

asio::awaitable<void> function_url_listener::accept_loop() {
  co_await accept_on(acceptor_, "function_url", [this](asio::ip::tcp::socket socket) {
    spawn_reported(io_.get_executor(), "function_url_connection", serve(std::move(socket)));
  });
}

asio::awaitable<void> function_url_listener::serve(asio::ip::tcp::socket socket) {
  server_connection conn(std::move(socket), http_limits{});
  for (bool first = true;; first = false) {
    const auto idle = first ? options_.client_read_timeout : options_.client_idle_timeout;
    if (const auto ec = co_await conn.read_head(clock::now() + idle)) {
      const bool protocol_error = ec.category() == engine_category() &&
                                  ec != engine_error::connection_closed &&
                                  ec != engine_error::http_truncated && ec != engine_error::request_deadline;
      if (protocol_error) {
        const int status = ec == engine_error::http_header_too_large ? 431 : 400;
        co_await reject(conn, status, "BadRequest", ec.message(), false);
      }
      break;
    }
    if (!co_await handle(conn)) break;
  }
  conn.close();
}

asio::awaitable<bool> function_url_listener::reject(server_connection& conn, int status,
                                                    std::string_view error_type, std::string_view message,
                                                    bool drain) {
  const auto body = error_json(error_type, message);
  const auto date = http_date();
  std::vector<header_view> extra;
  extra.push_back({error_type_header, error_type});
  extra.push_back({date_header, date});
  co_await conn.respond_json(status, body, false, clock::now() + options_.client_read_timeout,
                             std::move(extra));
  if (drain) co_await conn.linger_close(std::chrono::milliseconds(1000), 64 * 1024 * 1024);
  co_return false;
}

asio::awaitable<bool> function_url_listener::forbid(server_connection& conn, sigv4_rejection why,
                                                    bool keep_alive) {
  const auto request_id = ids_.uuid_v4();
  lambda::log(lambda::log_level::warn, "auth_rejected",
              {{"request_id", request_id}, {"reason", rejection_name(why)}});
  co_return co_await refuse(conn, forbidden_status, forbidden_error_type, forbidden_body, request_id,
                            keep_alive);
}

asio::awaitable<bool> function_url_listener::throttle(server_connection& conn, std::string_view request_id,
                                                      bool keep_alive) {
  lambda::log(lambda::log_level::warn, "throttled", {{"request_id", request_id}});
  co_return co_await refuse(conn, throttled_status, throttled_error_type, throttled_body, request_id,
                            keep_alive);
}

asio::awaitable<bool> function_url_listener::refuse(server_connection& conn, int status,
                                                    std::string_view error_type, std::string_view body,
                                                    std::string_view request_id, bool keep_alive) {
  const auto date = http_date();
  const std::vector<header_view> headers{{"Content-Type", "application/json"},
                                         {error_type_header, error_type},
                                         {request_id_header, request_id},
                                         {date_header, date}};
  const bool failed = static_cast<bool>(co_await conn.respond(status, headers, body, keep_alive,
                                                              clock::now() + options_.client_read_timeout,
                                                              conn.head().method != "HEAD"));
  co_return !failed && keep_alive;
}

asio::awaitable<bool> function_url_listener::handle(server_connection& conn) {
  count_guard active(active_);
  const auto received_at = clock::now();
  const auto time_epoch_ms = epoch_ms_now();
  const request_head& head = conn.head();
  const bool keep_alive = conn.keep_alive();
  const std::size_t limit = options_.max_request_body_bytes;
  const auto too_large = [&] {
    lambda::log(lambda::log_level::warn, "request_too_large", {{"limit", static_cast<std::int64_t>(limit)}});
    return reject(conn, 413, "RequestEntityTooLargeException", "Request must be smaller than 6291456 bytes",
                  true);
  };
  if (conn.parser().body_framing() == http_parser::framing::content_length &&
      conn.parser().content_length() > limit) {
    co_return co_await too_large();
  }
  if (iequals(find_header(head.headers, "Expect"), "100-continue") && !conn.parser().complete()) {
    if (co_await conn.write("HTTP/1.1 100 Continue\r\n\r\n", received_at + options_.client_read_timeout))
      co_return false;
  }
  std::string body;
  if (const auto ec = co_await conn.read_body(body, limit, received_at + options_.client_read_timeout)) {
    if (ec == engine_error::http_body_too_large) co_return co_await too_large();
    if (ec.category() == engine_category() && ec != engine_error::request_deadline &&
        ec != engine_error::http_truncated) {
      co_return co_await reject(conn, 400, "BadRequest", ec.message(), false);
    }
    co_return false;
  }

  const bool direct = head.method == "POST" && head.target == direct_invoke_path;
  // Like AuthType AWS_IAM: the signature covers the body, so it is checked once the body is in. The
  // direct-invoke path stands for Lambda's Invoke API, not the Function URL, and stays open.
  const iam_principal* caller = nullptr;
  if (iam_ && !direct) {
    const auto verdict = check_function_url_request(*iam_, head, body, std::chrono::system_clock::now());
    if (verdict.rejection != sigv4_rejection::none)
      co_return co_await forbid(conn, verdict.rejection, keep_alive);
    caller = verdict.caller;
  }

  auto inv = std::make_shared<invocation>();
  inv->request_id = ids_.uuid_v4();
  inv->trace_id = ids_.trace_id(time_epoch_ms / 1000);
  inv->received_at = received_at;
  inv->queue_deadline = received_at + options_.timeout;
  std::error_code ignored;
  const auto remote = conn.socket().remote_endpoint(ignored);
  const std::string source_ip = remote.address().to_string();
  const std::string trace_header = inv->trace_id.substr(0, inv->trace_id.find(';'));
  // The Invoke API of the Runtime Interface Emulator: the body is the event itself (warmers, tests).
  inv->direct = direct;
  if (inv->direct) {
    inv->event = std::move(body);
  } else {
    build_function_url_event(head, body,
                             {inv->request_id, function_.url_id, function_.region, source_ip, trace_header,
                              port(), time_epoch_ms, caller},
                             inv->event);
  }
  body = {};  // the event holds it now

  switch (environments_.submit(inv)) {
    case environment_pool::admission::queued:
      break;
    case environment_pool::admission::full:
      co_return co_await throttle(conn, inv->request_id, keep_alive);
    case environment_pool::admission::failed: {
      const auto& failure = *environments_.failure();
      inv->answer(make_error_result(failure.status, failure.error_type, failure.body), failure.error_type);
      break;
    }
  }
  co_return co_await deliver(conn, *inv, keep_alive, head.method == "HEAD");
}

asio::awaitable<bool> function_url_listener::deliver(server_connection& conn, invocation& inv,
                                                     bool keep_alive, bool head_only) {
  // Wait for the result: while queued, until the queue deadline; once running, the function's.
  bool timed_out = false;
  while (inv.state == invocation::phase::queued || inv.state == invocation::phase::running) {
    const auto limit = inv.state == invocation::phase::queued ? inv.queue_deadline : inv.deadline;
    if (clock::now() >= limit) {
      timed_out = true;
      break;
    }
    co_await inv.signal.wait_until(limit);
  }
  const std::string date = http_date();
  std::vector<header_view> extra;
  // Like Lambda, add a Date only when the function's response has none.
  if (find_header(inv.response.headers, date_header).empty()) extra.push_back({date_header, date});
  extra.push_back({request_id_header, inv.request_id});
  int status = 0;
  bool reusable = keep_alive;
  std::string_view error_type = inv.error_type;
  std::string timeout_type;
  if (timed_out) {
    inv.client_gone = true;
    environments_.withdraw(inv);
    inv.signal.notify_all();
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f", static_cast<double>(options_.timeout.count()) / 1000.0);
    const auto message = inv.request_id + " Task timed out after " + seconds + " seconds";
    lambda::log(lambda::log_level::error, "timeout",
                {{"request_id", inv.request_id}, {"timeout_ms", options_.timeout.count()}});
    auto result = make_error_result(502, "Sandbox.Timedout", error_json("Sandbox.Timedout", message));
    timeout_type = "Sandbox.Timedout";
    error_type = timeout_type;
    std::vector<header_view> headers;
    for (const auto& h : result.headers) headers.push_back({h.name, h.value});
    headers.insert(headers.end(), extra.begin(), extra.end());
    status = 502;
    reusable = !co_await conn.respond(502, headers, result.body, keep_alive,
                                      clock::now() + options_.client_read_timeout) &&
               keep_alive;
  } else if (inv.state == invocation::phase::answered) {
    std::vector<header_view> headers;
    for (const auto& h : inv.response.headers) headers.push_back({h.name, h.value});
    headers.insert(headers.end(), extra.begin(), extra.end());
    status = inv.response.status;
    const bool no_body = head_only || status == 204 || status == 304;
    if (head_only && !inv.response.declared_length.empty())
      headers.push_back({"Content-Length", inv.response.declared_length});
    reusable = !co_await conn.respond(status, headers, inv.response.body, keep_alive,
                                      clock::now() + options_.client_read_timeout, !no_body) &&
               keep_alive;
  } else {
    status = inv.response.status;
    const auto outcome = co_await send_streamed_response(conn, inv, extra, keep_alive, head_only);
    reusable = outcome == stream_outcome::complete && keep_alive;
    if (outcome == stream_outcome::function_error) {
      lambda::log(
          lambda::log_level::error, "stream_error",
          {{"request_id", inv.request_id}, {"error_type", inv.error_type}, {"error", inv.stream_error}});
    } else if (outcome == stream_outcome::timed_out) {
      environments_.withdraw(inv);
      timeout_type = "Sandbox.Timedout";
      error_type = timeout_type;
      lambda::log(lambda::log_level::error, "timeout",
                  {{"request_id", inv.request_id}, {"timeout_ms", options_.timeout.count()}});
    }
  }
  const auto done_at = clock::now();
  stats_.record(inv.handoff_ms);
  // null when no complete result came from the function (a timeout, a start that failed).
  const auto handoff = inv.handoff_ms ? lambda::log_value(*inv.handoff_ms) : lambda::log_value(nullptr);
  std::vector<lambda::log_field> fields{{"request_id", inv.request_id},
                                        {"status", std::int64_t{status}},
                                        {"mode", inv.mode},
                                        {"handoff_to_response_ms", handoff},
                                        {"total_ms", ms_between(inv.received_at, done_at)}};
  if (!error_type.empty()) fields.push_back({"error_type", error_type});
  lambda::log(lambda::log_level::info, "invoke", fields);
  co_return reusable;
}

}  // namespace tsproxy::local
