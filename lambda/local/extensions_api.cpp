#include "extensions_api.hpp"

#include <simdjson.h>

#include <algorithm>

#include "adapter/error_json.hpp"
#include "adapter/json_writer.hpp"
#include "common/log.hpp"
#include "ids.hpp"
#include "init_tracker.hpp"
#include "invocation.hpp"

namespace tsproxy::local {

namespace {

constexpr std::string_view identifier_header = "Lambda-Extension-Identifier";
constexpr std::string_view event_identifier_header = "Lambda-Extension-Event-Identifier";
constexpr std::string_view accepted_body = R"({"status":"OK"})";

using lambda::error_json;

}  // namespace

asio::awaitable<bool> extensions_api::serve(server_connection& conn, std::string_view path) {
  const std::string_view method = conn.head().method;
  if (method == "POST" && path == "/2020-01-01/extension/register") co_return co_await handle_register(conn);
  if (method == "GET" && path == "/2020-01-01/extension/event/next") co_return co_await handle_next(conn);
  if (method == "POST" && path == "/2020-01-01/extension/init/error")
    co_return co_await handle_error(conn, "init");
  if (method == "POST" && path == "/2020-01-01/extension/exit/error")
    co_return co_await handle_error(conn, "exit");
  if (co_await conn.discard_body(no_deadline)) co_return false;
  const auto body = error_json("InvalidRequest", "unknown Extensions API route");
  co_return !co_await conn.respond_json(404, body, conn.keep_alive(), no_deadline) && conn.keep_alive();
}

asio::awaitable<bool> extensions_api::handle_register(server_connection& conn) {
  static constexpr std::string_view name_header = "Lambda-Extension-Name";
  const std::string name(find_header(conn.head().headers, name_header));
  std::string body;
  if (co_await conn.read_body(body, max_request_body, no_deadline)) co_return false;
  const bool keep = conn.keep_alive();
  if (name.empty()) {
    const auto error = error_json("InvalidRequest", "missing Lambda-Extension-Name");
    co_return !co_await conn.respond_json(400, error, keep, no_deadline) && keep;
  }
  auto ext = std::make_unique<extension>();
  ext->id = ids_.uuid_v4();
  ext->name = name;
  // {"events":["INVOKE","SHUTDOWN"]}
  simdjson::padded_string padded(body);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::array events;
  if (!parser.iterate(padded).get(doc) && !doc["events"].get_array().get(events)) {
    for (auto item : events) {
      std::string_view event;
      if (item.get_string().get(event)) break;
      if (event == "INVOKE") ext->wants_invoke = true;
      if (event == "SHUTDOWN") ext->wants_shutdown = true;
    }
  }
  if (managed_instances_ && ext->wants_invoke) {
    // Managed Instances allow external extensions SHUTDOWN alone, and refuse the registration otherwise
    // (aws/aws-lambda-runtime-interface-emulator@v1.30 internal/lambda-managed-instances/core/
    // externalagent.go:93-98, rapi/handler/agentregister.go:150-155, the type from constants.go:17).
    lambda::log(lambda::log_level::warn, "extension_register_refused",
                {{"name", ext->name}, {"event", std::string_view("INVOKE")}});
    const auto error = error_json("Extension.InvalidEventType", "INVOKE: ErrorInvalidEventType");
    co_return !co_await conn.respond_json(403, error, keep, no_deadline) && keep;
  }
  lambda::log(lambda::log_level::info, "extension_register",
              {{"name", ext->name},
               {"id", ext->id},
               {"invoke", ext->wants_invoke},
               {"shutdown", ext->wants_shutdown}});
  const std::string id = ext->id;
  extensions_.emplace(id, std::move(ext));
  init_.extension_registered(id);
  std::string reply = "{\"functionName\":";
  lambda::append_json_string(reply, function_.name);
  reply.append(",\"functionVersion\":");
  lambda::append_json_string(reply, function_.version);
  reply.append(",\"handler\":");
  lambda::append_json_string(reply, function_.handler);
  reply.push_back('}');
  std::vector<header_view> extra;
  extra.push_back({identifier_header, id});
  co_return !co_await conn.respond_json(200, reply, keep, no_deadline, std::move(extra)) && keep;
}

asio::awaitable<bool> extensions_api::handle_next(server_connection& conn) {
  if (co_await conn.discard_body(no_deadline)) co_return false;
  const bool keep = conn.keep_alive();
  const auto id = find_header(conn.head().headers, identifier_header);
  const auto found = extensions_.find(id);
  if (found == extensions_.end()) {
    const auto error = error_json("Extension.ForbiddenExtensionID", "unknown Lambda-Extension-Identifier");
    co_return !co_await conn.respond_json(403, error, keep, no_deadline) && keep;
  }
  extension& ext = *found->second;  // extensions are never removed, so the reference stays valid
  if (!ext.called_next) {
    ext.called_next = true;
    init_.extension_ready(ext.id);
  }
  if (ext.events.empty()) {
    ext.waiting = true;
    struct clear_on_exit {
      bool& flag;
      ~clear_on_exit() { flag = false; }
    } waiting{ext.waiting};
    if (extension_waiting_) extension_waiting_();
    while (ext.events.empty()) {
      if (closed_) co_return false;
      co_await ext.signal.wait();
    }
  }
  std::string event = std::move(ext.events.front());
  ext.events.pop_front();
  const std::string event_id = ids_.uuid_v4();
  std::vector<header_view> extra;
  extra.push_back({event_identifier_header, event_id});
  if (co_await conn.respond_json(200, event, keep, no_deadline, std::move(extra))) {
    ext.events.push_front(std::move(event));  // the extension never got it: keep it for its next call
    co_return false;
  }
  co_return keep;
}

asio::awaitable<bool> extensions_api::handle_error(server_connection& conn, std::string_view which) {
  std::string body;
  if (co_await conn.read_body(body, max_request_body, no_deadline)) co_return false;
  const bool keep = conn.keep_alive();
  const auto id = find_header(conn.head().headers, identifier_header);
  const auto found = extensions_.find(id);
  static constexpr std::string_view error_type_header = "Lambda-Extension-Function-Error-Type";
  const std::string error_type(find_header(conn.head().headers, error_type_header));
  lambda::log(
      lambda::log_level::error, which == "init" ? "extension_init_error" : "extension_exit_error",
      {{"id", id},
       {"name", found == extensions_.end() ? std::string_view() : std::string_view(found->second->name)},
       {"error_type", error_type},
       {"body", body}});
  const bool answered = !co_await conn.respond_json(202, accepted_body, keep, no_deadline);
  if (which == "init" && found != extensions_.end() && on_init_error_) on_init_error_(error_type, body);
  co_return answered&& keep;
}

void extensions_api::push(extension& ext, const std::string& event) {
  if (ext.events.size() >= max_pending_events) {
    ext.events.pop_front();
    lambda::log(lambda::log_level::warn, "extension_event_dropped", {{"name", ext.name}, {"id", ext.id}});
  }
  ext.events.push_back(event);
  ext.signal.notify_all();
}

void extensions_api::close() {
  closed_ = true;
  for (auto& [id, ext] : extensions_) ext->signal.notify_all();
}

bool extensions_api::all_waiting() const noexcept {
  return std::all_of(extensions_.begin(), extensions_.end(),
                     [](const auto& entry) { return entry.second->waiting && entry.second->events.empty(); });
}

void extensions_api::deliver_invoke(const invocation& inv) {
  std::string event;
  for (auto& [id, ext] : extensions_) {
    if (!ext->wants_invoke) continue;
    if (event.empty()) {
      event = R"({"eventType":"INVOKE","deadlineMs":)";
      lambda::append_json_int(event, inv.deadline_epoch_ms);
      event.append(",\"requestId\":");
      lambda::append_json_string(event, inv.request_id);
      event.append(",\"invokedFunctionArn\":");
      lambda::append_json_string(event, function_.arn());
      event.append(R"(,"tracing":{"type":"X-Amzn-Trace-Id","value":)");
      lambda::append_json_string(event, inv.trace_id);
      event.append("}}");
    }
    push(*ext, event);
  }
}

void extensions_api::deliver_shutdown(std::int64_t deadline_epoch_ms, std::string_view reason) {
  std::string event = R"({"eventType":"SHUTDOWN","shutdownReason":)";
  lambda::append_json_string(event, reason);
  event.append(",\"deadlineMs\":");
  lambda::append_json_int(event, deadline_epoch_ms);
  event.push_back('}');
  for (auto& [id, ext] : extensions_) {
    if (ext->wants_shutdown) push(*ext, event);
  }
}

}  // namespace tsproxy::local
