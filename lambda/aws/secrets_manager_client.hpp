#pragma once
// Secrets Manager GetSecretValue, called directly (not through the SOCKS5 listener, which leads into the
// tailnet): the endpoint's name resolved by the engine's stub resolver (no NSS, so a fully static
// executable can use it), HTTP or HTTPS with the peer and host name verified, the request built and
// signed by secrets_manager_request, the answer read with the engine's http_reader, everything within
// one deadline. A throttled, 5xx or transport failure is tried again as botocore's standard retry mode
// does (retry_policy.hpp), never past that deadline. Expected failures come back as a result with an
// error type, never as exceptions. See docs/PROTOCOLS.md section 6.4.

#include <asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/retry_policy.hpp"
#include "aws/secrets_manager_request.hpp"
#include "aws/sigv4_signer.hpp"
#include "config/environment.hpp"
#include "tsproxy/engine/direct_connector.hpp"
#include "tsproxy/engine/engine_config.hpp"

namespace tsproxy::aws {

// What the client needs from the environment. Lambda gives an extension its execution role's
// credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
struct aws_environment {
  credentials creds;
  std::string region;
  std::string endpoint_url;  // e.g. https://secretsmanager.us-east-1.amazonaws.com
  tls_settings tls;          // peer verification on; CA bundle from SSL_CERT_FILE/_DIR, else the system's
  direct_settings network;   // resolv.conf, connect and TLS handshake timeouts
  retry_policy retry;        // botocore's standard mode: 3 attempts, jitter up to 1 s, 2 s, ...
};

// The variables read, in the order they are looked at.
namespace aws_env_names {
inline constexpr const char* access_key_id = "AWS_ACCESS_KEY_ID";
inline constexpr const char* secret_access_key = "AWS_SECRET_ACCESS_KEY";
inline constexpr const char* session_token = "AWS_SESSION_TOKEN";
inline constexpr const char* region = "AWS_REGION";
inline constexpr const char* default_region = "AWS_DEFAULT_REGION";
inline constexpr const char* secrets_manager_endpoint = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
inline constexpr const char* endpoint = "AWS_ENDPOINT_URL";
}  // namespace aws_env_names

// Reads the variables above (AWS_REGION, else AWS_DEFAULT_REGION; the endpoint from
// AWS_ENDPOINT_URL_SECRETS_MANAGER, then AWS_ENDPOINT_URL, else the regional HTTPS endpoint). On a
// missing or invalid value returns nullopt and sets `error` to a sentence naming the variable.
std::optional<aws_environment> secrets_manager_environment(std::string& error);
std::optional<aws_environment> secrets_manager_environment(const env_lookup& env, std::string& error);

// GetSecretValue of `secret_id` (a name or ARN). Errors: AWS's own error type (AccessDeniedException,
// ResourceNotFoundException, UnrecognizedClientException, InvalidSignatureException, ExpiredTokenException,
// or what an emulator answers instead, such as SignatureDoesNotMatch and InvalidClientTokenId), or one of
// secret_errors (CredentialsMissing, InvalidEndpoint, EndpointUnreachable, TlsError, Timeout,
// BadResponse, SecretNotString). Retryable failures (retry_policy.hpp) are tried again after a jittered
// pause, up to env.retry.max_attempts in all, as long as the next attempt can start before `deadline`;
// the result is then the last attempt's, its message saying how many were made. `env` and the bytes of
// `secret_id` must stay alive until the call completes (co_await it in the expression that creates it).
asio::awaitable<secret_fetch_result> get_secret_value(const aws_environment& env, std::string_view secret_id,
                                                      std::chrono::steady_clock::time_point deadline);

}  // namespace tsproxy::aws
