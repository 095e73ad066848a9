#include "fault_matrix.hpp"

#include <algorithm>

namespace tsproxy::test {

namespace {

std::string json_string_member(std::string_view json, std::string_view key) {
  const std::string marker = "\"" + std::string(key) + "\":\"";
  const auto at = json.find(marker);
  if (at == std::string_view::npos) return {};
  std::string value;
  for (auto i = at + marker.size(); i < json.size() && json[i] != '"'; ++i) {
    if (json[i] == '\\' && i + 1 < json.size()) ++i;
    value.push_back(json[i]);
  }
  return value;
}

}  // namespace

::testing::AssertionResult is_proxy_error(const http_reply& reply, int status, std::string_view name) {
  if (reply.status != status || reply.header("ts-error-name") != name ||
      reply.header("ts-error-message").empty())
    return ::testing::AssertionFailure()
           << "expected " << status << " " << name << ", got " << reply.status << " ts-error-name '"
           << reply.header("ts-error-name") << "' ts-error-message '" << reply.header("ts-error-message")
           << "' body " << reply.body.substr(0, 400);
  if (reply.body.find("\"error\":\"" + std::string(name) + "\"") == std::string::npos)
    return ::testing::AssertionFailure() << "the JSON body does not name " << name << ": " << reply.body;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_proxy_error_after_part(const http_reply& reply, int status,
                                                     std::string_view name, std::size_t declared) {
  if (reply.status != status || reply.header("ts-error-name") != name ||
      reply.header("ts-error-message").empty())
    return ::testing::AssertionFailure() << "expected " << status << " " << name << ", got " << reply.status
                                         << " ts-error-name '" << reply.header("ts-error-name")
                                         << "' ts-error-message '" << reply.header("ts-error-message") << "'";
  if (reply.body.size() >= declared)
    return ::testing::AssertionFailure()
           << "the body is " << reply.body.size() << " bytes, not a part of " << declared;
  if (reply.header("content-type") != "application/octet-stream")
    return ::testing::AssertionFailure() << "the part is described as '" << reply.header("content-type")
                                         << "', not as the target's application/octet-stream";
  for (std::size_t i = 0; i < reply.body.size(); ++i) {
    if (static_cast<unsigned char>(reply.body[i]) != i % 256)
      return ::testing::AssertionFailure() << "byte " << i << " of the body is not the target's";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_proxy_error_result(const std::string& result, int status,
                                                 std::string_view name) {
  const bool ok = result.find("\"statusCode\":" + std::to_string(status) + ",") != std::string::npos &&
                  json_string_member(result, "ts-error-name") == name &&
                  !json_string_member(result, "ts-error-message").empty();
  if (!ok)
    return ::testing::AssertionFailure()
           << "expected " << status << " " << name << " in " << result.substr(0, 600);
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_cut_stream(const local_stack& stack, const http_reply& reply, int status,
                                         std::string_view error_type) {
  if (reply.status != -1 || reply.status_before_failure != status)
    return ::testing::AssertionFailure()
           << "expected a stream with status " << status << " cut short, got status " << reply.status
           << " (before failure " << reply.status_before_failure << "), body " << reply.body.substr(0, 400);
  if (!reply.header("ts-error-name").empty())
    return ::testing::AssertionFailure()
           << "the head is the target's, not the proxy's: " << reply.header("ts-error-name");
  const auto request_id = reply.header("x-amzn-requestid");
  const auto type = emulator_log_field(stack, "stream_error", request_id, "error_type");
  if (type != error_type)
    return ::testing::AssertionFailure() << "expected the error trailer " << error_type
                                         << ", the emulator got '" << type << "' for request " << request_id;
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult keeps_serving(const local_stack& stack, pid_t pid,
                                         const python_upstream& upstream) {
  if (pid <= 0) return ::testing::AssertionFailure() << "no runtime process was found before the fault";
  if (stack.bootstrap_pid() != pid)
    return ::testing::AssertionFailure()
           << "the runtime is not process " << pid << " any more (now " << stack.bootstrap_pid() << ")\n"
           << stack.log();
  const std::string body = "the next request, after the fault";
  auto args = local_stack::route_to(upstream.host(), upstream.port());
  args.insert(args.end(), {"-X", "POST", "--data-binary", body});
  const auto next = stack.request("/echo", args);
  if (next.status != 200 || next.body != body || !next.header("ts-error-name").empty())
    return ::testing::AssertionFailure() << "the next request got " << next.status << " '"
                                         << next.header("ts-error-name") << "' " << next.body.substr(0, 400);
  if (stack.bootstrap_pid() != pid)
    return ::testing::AssertionFailure() << "the runtime restarted during the next request";
  return ::testing::AssertionSuccess();
}

std::string emulator_log_field(const local_stack& stack, std::string_view message,
                               std::string_view request_id, std::string_view key) {
  const std::string line_marker =
      "\"msg\":\"" + std::string(message) + "\",\"request_id\":\"" + std::string(request_id) + "\"";
  std::string value;
  wait_until([&] {
    const std::string text = stack.log();
    const auto at = text.find(line_marker);
    const auto end = at == std::string::npos ? at : text.find('\n', at);
    if (end == std::string::npos) return false;
    value = json_string_member(std::string_view(text).substr(at, end - at), key);
    return true;
  });
  return value;
}

std::vector<tcp_socket_info> runtime_sockets_to(pid_t pid, std::uint16_t remote_port) {
  auto sockets = tcp_sockets_of(pid);
  std::erase_if(sockets, [&](const tcp_socket_info& s) { return s.remote_port != remote_port; });
  return sockets;
}

}  // namespace tsproxy::test
