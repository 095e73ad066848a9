#include "extension/extensions_api_requests.hpp"

#include <algorithm>

#include "adapter/error_json.hpp"

namespace tsproxy::extension::extensions_api {

namespace {

// SHUTDOWN alone: the extension has nothing to do per invocation, and it is all that Lambda Managed
// Instances allow external extensions (aws/aws-lambda-runtime-interface-emulator@v1.30
// internal/lambda-managed-instances/core/externalagent.go:93-98); without INVOKE, Lambda also need not
// wait for the extension after each invocation.
constexpr std::string_view register_body = R"({"events":["SHUTDOWN"]})";
constexpr std::size_t max_name_bytes = 255;  // a file name
constexpr std::size_t max_token_bytes = 128;

bool is_token_char(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
         c == '.';
}

std::string path_of(std::string_view what) {
  return std::string(path_prefix) + std::string(what);
}

request_bytes error_post(const upstream_target& api, std::string_view what, std::string_view identifier,
                         std::string_view error_type, std::string_view message) {
  return lambda::request_with_body(api, "POST", path_of(what),
                                   {{identifier_header, identifier}, {error_type_header, error_type}},
                                   lambda::error_json(error_type, message, true));
}

}  // namespace

bool is_valid_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= max_name_bytes &&
         std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool is_valid_identifier(std::string_view identifier) noexcept {
  return !identifier.empty() && identifier.size() <= max_token_bytes &&
         std::all_of(identifier.begin(), identifier.end(), is_token_char);
}

bool is_valid_error_type(std::string_view error_type) noexcept {
  return is_valid_identifier(error_type);
}

request_bytes register_request(const upstream_target& api, std::string_view name) {
  return lambda::request_with_body(api, "POST", path_of("register"), {{name_header, name}},
                                   std::string(register_body));
}

std::string next_request(const upstream_target& api, std::string_view identifier) {
  return lambda::request_head(api, {"GET", path_of("event/next"), {{identifier_header, identifier}}, {}});
}

request_bytes init_error_request(const upstream_target& api, std::string_view identifier,
                                 std::string_view error_type, std::string_view message) {
  return error_post(api, "init/error", identifier, error_type, message);
}

request_bytes exit_error_request(const upstream_target& api, std::string_view identifier,
                                 std::string_view error_type, std::string_view message) {
  return error_post(api, "exit/error", identifier, error_type, message);
}

}  // namespace tsproxy::extension::extensions_api
