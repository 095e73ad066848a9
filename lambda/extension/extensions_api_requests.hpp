#pragma once
// The requests an external extension sends to the Lambda Extensions API (2020-01-01, docs/PROTOCOLS.md
// section 4), as values: pure functions from the call's values to its bytes, tested without I/O, like
// the runtime's runtime_api_requests. The client only moves these bytes.

#include <string>
#include <string_view>

#include "common/api_request.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::extension::extensions_api {

inline constexpr std::string_view path_prefix = "/2020-01-01/extension/";
inline constexpr std::string_view name_header = "Lambda-Extension-Name";
inline constexpr std::string_view identifier_header = "Lambda-Extension-Identifier";
inline constexpr std::string_view error_type_header = "Lambda-Extension-Function-Error-Type";

// Lambda derives an external extension's name from its file name; a name that could leave its header
// line (control characters, non-ASCII) or is longer than any file name is refused.
bool is_valid_name(std::string_view name) noexcept;
// Identifiers are UUIDs; anything that could leave the header line is refused.
bool is_valid_identifier(std::string_view identifier) noexcept;
// Error types are dotted names like Extension.SecretMissing.
bool is_valid_error_type(std::string_view error_type) noexcept;

using lambda::request_bytes;

// POST register with the extension's name, for the INVOKE and SHUTDOWN events.
request_bytes register_request(const upstream_target& api, std::string_view name);

// GET event/next: waits for the next event.
std::string next_request(const upstream_target& api, std::string_view identifier);

// POST init/error: start-up failed. The body is the Lambda error document with the same type.
request_bytes init_error_request(const upstream_target& api, std::string_view identifier,
                                 std::string_view error_type, std::string_view message);

// POST exit/error: the extension is about to exit because of a failure after init.
request_bytes exit_error_request(const upstream_target& api, std::string_view identifier,
                                 std::string_view error_type, std::string_view message);

}  // namespace tsproxy::extension::extensions_api
