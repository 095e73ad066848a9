#pragma once
// Checks a received request's SigV4 Authorization header the way an AWS endpoint does for a Function URL
// with AuthType AWS_IAM (docs/PROTOCOLS.md section 6.3): one accepted key, the canonical request
// recomputed from what arrived (the signed headers' values, the path and query as sent, the SHA-256 of
// the body actually received), the signature compared in constant time, and X-Amz-Date within the
// allowed clock skew. Pure: the caller passes the time.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4_signer.hpp"
// env_lookup, process_env: the verifier's users read the accepted key from the environment.
#include "config/environment.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::local {

struct sigv4_acceptance {
  aws::credentials
      key;  // the key that may sign; with a session token, requests must carry exactly that token
  std::string region;
  std::string service = "lambda";
  std::chrono::seconds max_clock_skew{15 * 60};  // AWS refuses dates further than 15 minutes from its clock
};

// Why a request was refused. Callers answer every one the same way (a Function URL says only
// "Forbidden"); the names are for logs.
enum class sigv4_rejection {
  none,
  missing_authorization,     // no Authorization header (or more than one)
  malformed_authorization,   // not "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
  unknown_access_key,        // signed by another key
  wrong_scope,               // the credential scope names another date, region or service
  missing_date,              // no X-Amz-Date header
  bad_date,                  // X-Amz-Date is not YYYYMMDDTHHMMSSZ
  date_out_of_window,        // X-Amz-Date too far from the clock
  required_header_unsigned,  // host or x-amz-date not among the signed headers
  signed_header_missing,     // a signed header is not in the request
  session_token_mismatch,    // X-Amz-Security-Token missing, unexpected or different
  payload_hash_mismatch,     // X-Amz-Content-SHA256 is not the body's hash
  signature_mismatch,
};

std::string_view rejection_name(sigv4_rejection rejection) noexcept;

// A request as received. Views must outlive the call.
struct sigv4_received {
  std::string_view method;
  std::string_view path;   // request target up to '?'
  std::string_view query;  // after '?'
  const std::vector<header_field>& headers;
  std::string_view body;
};

sigv4_rejection verify_request(const sigv4_received& request, const sigv4_acceptance& acceptance,
                               std::chrono::system_clock::time_point now);

}  // namespace tsproxy::local
