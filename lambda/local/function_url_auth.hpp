#pragma once
// The Function URL's AuthType AWS_IAM, for tsproxy-local --auth aws_iam (docs/PROTOCOLS.md section 6.3):
// every Function URL request must carry a SigV4 signature for the service "lambda" in the configured
// region, made with one of the keys tsproxy-local accepts; anything else is answered 403 the way a
// Function URL answers it. A real Function URL then asks IAM whether the signer may invoke the function;
// here holding an accepted key is that permission, and the key's principal is the one the function is
// told of (requestContext.authorizer.iam, iam_principal.hpp).
//
// The accepted keys come from --auth-credentials FILE (credentials_file.hpp: the sections the repeated
// --auth-profile names, else [default], or a file without sections), else from tsproxy-local's own
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN: the key of the shell it runs in, which
// the caller's SDK in that shell signs with too, and whose principal tsproxy-local does not know.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "iam_principal.hpp"
#include "local_options.hpp"
#include "sigv4_verifier.hpp"
#include "tsproxy/engine/engine_config.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::local {

// What a Function URL sends for a request it does not accept.
inline constexpr int forbidden_status = 403;
inline constexpr std::string_view forbidden_body = R"({"Message":"Forbidden"})";
inline constexpr std::string_view forbidden_error_type = "AccessDeniedException";

// One key that may sign, and who signs with it.
struct accepted_signer {
  sigv4_acceptance acceptance;
  iam_principal principal;
};

struct function_url_iam {
  std::vector<accepted_signer> signers;  // distinct access key ids
};

// The acceptance rule for `options` (auth_mode::aws_iam): the keys from the file or the environment and
// the region (the option, else `function_region`). nullopt with a sentence in `error` naming the file and
// section when no usable key is found or a section is malformed.
std::optional<function_url_iam> load_function_url_auth(const local_options& options,
                                                       std::string_view function_region,
                                                       const env_lookup& env, std::string& error);

struct function_url_verdict {
  sigv4_rejection rejection = sigv4_rejection::none;
  const iam_principal* caller = nullptr;  // the signer's principal when accepted; points into the rule
};

// Checks one Function URL request (its head as read, its whole body) against the key it names.
function_url_verdict check_function_url_request(const function_url_iam& iam, const request_head& head,
                                                std::string_view body,
                                                std::chrono::system_clock::time_point now);

}  // namespace tsproxy::local
