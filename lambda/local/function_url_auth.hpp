#pragma once
// The Function URL's AuthType AWS_IAM, for tsproxy-local --auth aws_iam (docs/PROTOCOLS.md section 6.3):
// every Function URL request must carry a SigV4 signature for the service "lambda" in the configured
// region, made with the one key tsproxy-local accepts; anything else is answered 403 the way a Function
// URL answers it. A real Function URL then asks IAM whether the signer may invoke the function; here
// holding the accepted key is that permission.
//
// The accepted key comes from --auth-credentials FILE (the format of AWS's shared credentials file:
// aws_access_key_id, aws_secret_access_key and optional aws_session_token in the [default] section, or
// in the section --auth-profile names, or in a file without sections), else from tsproxy-local's own
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN: the key of the shell it runs in,
// which the caller's SDK in that shell signs with too.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "local_options.hpp"
#include "sigv4_verifier.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::local {

// What a Function URL sends for a request it does not accept.
inline constexpr int forbidden_status = 403;
inline constexpr std::string_view forbidden_body = R"({"Message":"Forbidden"})";
inline constexpr std::string_view forbidden_error_type = "AccessDeniedException";

// The key in a shared-credentials-style text, from section `profile` (or from a text without sections).
std::optional<aws::credentials> parse_credentials_file(std::string_view text, std::string_view profile,
                                                       std::string& error);

// The acceptance rule for `options` (auth_mode::aws_iam): the key from the file or the environment and
// the region (the option, else `function_region`). nullopt with a sentence in `error` when no usable key
// is found.
std::optional<sigv4_acceptance> load_function_url_auth(const local_options& options,
                                                       std::string_view function_region,
                                                       const env_lookup& env, std::string& error);

// Checks one Function URL request (its head as read, its whole body).
sigv4_rejection check_function_url_request(const sigv4_acceptance& acceptance, const request_head& head,
                                           std::string_view body, std::chrono::system_clock::time_point now);

}  // namespace tsproxy::local
