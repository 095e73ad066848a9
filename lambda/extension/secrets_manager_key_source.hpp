#pragma once
// The secret from AWS Secrets Manager: GetSecretValue of TS_SECRET_API_KEY (a name or ARN) with the
// execution role's credentials that Lambda puts in the environment, at the endpoint the AWS_* variables
// name (lambda/aws/secrets_manager_client.hpp); its failures mapped to the extension's error types.

#include <string>
#include <string_view>

#include "extension/key_source.hpp"

namespace tsproxy::extension {

key_source secrets_manager_key_source(std::string secret_id);

// The extension's error type for a Secrets Manager error type (AWS's own, or the client's name for a
// failure to ask: aws::secret_errors).
std::string_view secret_error_type(std::string_view secrets_manager_error);

}  // namespace tsproxy::extension
