#include "extension/secrets_manager_key_source.hpp"

#include <array>

#include "aws/secrets_manager_client.hpp"
#include "extension/extension_errors.hpp"

namespace tsproxy::extension {

namespace {

// Secrets Manager's, STS's and emulators' names for "this role may not read this secret with these
// credentials", and the client's own for "there are no credentials to sign with".
constexpr std::array<std::string_view, 12> access_denied{
    "AccessDeniedException",       "AccessDenied",
    "UnrecognizedClientException", "InvalidClientTokenId",
    "InvalidSignatureException",   "SignatureDoesNotMatch",
    "ExpiredTokenException",       "ExpiredToken",
    "IncompleteSignature",         "MissingAuthenticationToken",
    "DecryptionFailure",           "CredentialsMissing"};

// Takes its arguments by value: the coroutine may run after the caller's copies are gone.
asio::awaitable<key_fetch_result> fetch(std::string secret_id, time_point until) {
  key_fetch_result out;
  std::string error;
  const auto environment = aws::secrets_manager_environment(error);
  if (!environment) {
    out.error_type = error_types::invalid_configuration;
    out.message = "cannot ask Secrets Manager for " + secret_id + ": " + error;
    co_return out;
  }
  auto result = co_await aws::get_secret_value(*environment, secret_id, until);
  if (result.ok()) {
    out.secret = std::move(result.secret_string);
    co_return out;
  }
  out.error_type = secret_error_type(result.error_type);
  out.message = "Secrets Manager GetSecretValue of " + secret_id + ": " + result.error_type +
                (result.message.empty() ? std::string() : ": " + result.message);
  co_return out;
}

}  // namespace

std::string_view secret_error_type(std::string_view secrets_manager_error) {
  if (secrets_manager_error == "ResourceNotFoundException") return error_types::secret_missing;
  for (const auto name : access_denied) {
    if (secrets_manager_error == name) return error_types::secret_access_denied;
  }
  if (secrets_manager_error == aws::secret_errors::secret_not_string) return error_types::secret_invalid;
  if (secrets_manager_error == aws::secret_errors::invalid_endpoint)
    return error_types::invalid_configuration;
  return error_types::secret_unavailable;
}

key_source secrets_manager_key_source(std::string secret_id) {
  return [secret_id = std::move(secret_id)](time_point until) { return fetch(secret_id, until); };
}

}  // namespace tsproxy::extension
