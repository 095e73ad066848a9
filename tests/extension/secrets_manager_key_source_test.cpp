// Secrets Manager's error types mapped to the extension's: what the operator has to fix.

#include "extension/secrets_manager_key_source.hpp"

#include <gtest/gtest.h>

#include "extension/extension_errors.hpp"

namespace tsproxy::extension {
namespace {

TEST(SecretsManagerKeySource, ErrorTypesSayWhatToFix) {
  EXPECT_EQ(secret_error_type("ResourceNotFoundException"), error_types::secret_missing);
  for (const char* denied :
       {"AccessDeniedException", "AccessDenied", "UnrecognizedClientException", "InvalidSignatureException",
        "SignatureDoesNotMatch", "ExpiredTokenException", "DecryptionFailure"}) {
    EXPECT_EQ(secret_error_type(denied), error_types::secret_access_denied) << denied;
  }
  for (const char* other :
       {"InternalServiceError", "ThrottlingException", "InvalidRequestException", "Timeout", ""}) {
    EXPECT_EQ(secret_error_type(other), error_types::secret_unavailable) << other;
  }
}

}  // namespace
}  // namespace tsproxy::extension
