#pragma once
// Secrets Manager's GetSecretValue as values (docs/PROTOCOLS.md section 6.4): the signed request bytes,
// and what an answer means. Pure: the client (secrets_manager_client.hpp) only moves these bytes.
//
//   POST / HTTP/1.1                          (or the endpoint URL's path)
//   Host: secretsmanager.<region>.amazonaws.com
//   Content-Type: application/x-amz-json-1.1
//   X-Amz-Target: secretsmanager.GetSecretValue
//   X-Amz-Date, X-Amz-Security-Token (with a session token), Authorization: SigV4 for "secretsmanager"
//   {"SecretId":"..."}
//
// An answer other than 200 names its error in the JSON body's "__type" (AWS's JSON protocol), in an
// x-amzn-ErrorType header, or, as some emulators and AWS's own authentication layer do, in an XML
// <Code>. The secret value is never put into an error message.

#include <string>
#include <string_view>
#include <vector>

#include "aws/endpoint_url.hpp"
#include "aws/sigv4_signer.hpp"
#include "common/api_request.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::aws {

struct secret_fetch_result {
  std::string secret_string;  // on success
  std::string error_type;     // empty on success
  std::string message;        // never contains the secret
  int http_status = 0;        // the answer's status; 0 when no answer came
  bool ok() const noexcept { return error_type.empty(); }
};

// Local error types (AWS's own come from the answer).
namespace secret_errors {
inline constexpr std::string_view credentials_missing = "CredentialsMissing";
inline constexpr std::string_view invalid_endpoint = "InvalidEndpoint";
inline constexpr std::string_view endpoint_unreachable = "EndpointUnreachable";
inline constexpr std::string_view tls_error = "TlsError";
inline constexpr std::string_view timeout = "Timeout";
inline constexpr std::string_view bad_response = "BadResponse";
inline constexpr std::string_view secret_not_string = "SecretNotString";
}  // namespace secret_errors

inline constexpr std::string_view secrets_manager_service = "secretsmanager";
inline constexpr std::size_t max_secret_response_bytes = 1024 * 1024;  // a SecretString is at most 64 KiB
inline constexpr std::size_t max_error_message_bytes = 512;

using lambda::request_bytes;

// The whole GetSecretValue request, signed as of `amz_date` (format_amz_date()).
request_bytes get_secret_value_request(const endpoint_url& endpoint, const credentials& creds,
                                       std::string_view region, std::string_view secret_id,
                                       std::string_view amz_date);

// What the answer (status, headers, whole body) means. `secret_id` only names the secret in messages.
secret_fetch_result parse_get_secret_value_response(int status, const std::vector<header_field>& headers,
                                                    std::string_view body, std::string_view secret_id);

}  // namespace tsproxy::aws
