#include "sigv4_verifier.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <optional>

namespace tsproxy::local {

using aws::amz_date_header;
using aws::authorization_header;
using aws::canonical_request;
using aws::canonicalize_headers;
using aws::content_sha256_header;
using aws::credential_scope;
using aws::parse_amz_date;
using aws::security_token_header;
using aws::sha256_hex;
using aws::signature_hex;
using aws::signing_key;
using aws::sigv4_algorithm;
using aws::string_to_sign;

namespace {

struct authorization_fields {
  std::string_view access_key_id;
  std::string_view date;
  std::string_view region;
  std::string_view service;
  std::string_view terminator;
  std::string_view signed_headers;
  std::string_view signature;
};

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "a/b/c" into exactly `n` parts, or fails.
template <std::size_t N>
bool split_exact(std::string_view text, char separator, std::array<std::string_view, N>& parts) {
  for (std::size_t i = 0; i < N; ++i) {
    const auto at = text.find(separator);
    if (i + 1 == N) {
      if (at != std::string_view::npos) return false;
      parts[i] = text;
    } else {
      if (at == std::string_view::npos) return false;
      parts[i] = text.substr(0, at);
      text.remove_prefix(at + 1);
    }
  }
  return true;
}

std::optional<authorization_fields> parse_authorization(std::string_view value) {
  value = trim(value);
  if (value.substr(0, sigv4_algorithm.size()) != sigv4_algorithm) return std::nullopt;
  value.remove_prefix(sigv4_algorithm.size());
  if (value.empty() || (value.front() != ' ' && value.front() != '\t')) return std::nullopt;
  std::string_view credential, signed_headers, signature;
  while (!value.empty()) {
    auto comma = value.find(',');
    const auto item = trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const auto key = item.substr(0, eq);
    const auto field = item.substr(eq + 1);
    std::string_view* slot = key == "Credential"      ? &credential
                             : key == "SignedHeaders" ? &signed_headers
                             : key == "Signature"     ? &signature
                                                      : nullptr;
    if (slot == nullptr || !slot->empty() || field.empty()) return std::nullopt;
    *slot = field;
  }
  if (credential.empty() || signed_headers.empty() || signature.empty()) return std::nullopt;
  std::array<std::string_view, 5> scope;
  if (!split_exact(credential, '/', scope)) return std::nullopt;
  return authorization_fields{scope[0], scope[1], scope[2], scope[3], scope[4], signed_headers, signature};
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // Only the length may show through timing; the bytes of a signature or token never do.
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::size_t count_headers(const std::vector<header_field>& headers, std::string_view name) noexcept {
  return static_cast<std::size_t>(std::count_if(
      headers.begin(), headers.end(), [&](const header_field& h) { return iequals(h.name, name); }));
}

}  // namespace

std::string_view rejection_name(sigv4_rejection rejection) noexcept {
  switch (rejection) {
    case sigv4_rejection::none:
      return "None";
    case sigv4_rejection::missing_authorization:
      return "MissingAuthorization";
    case sigv4_rejection::malformed_authorization:
      return "MalformedAuthorization";
    case sigv4_rejection::unknown_access_key:
      return "UnknownAccessKey";
    case sigv4_rejection::wrong_scope:
      return "WrongCredentialScope";
    case sigv4_rejection::missing_date:
      return "MissingDate";
    case sigv4_rejection::bad_date:
      return "BadDate";
    case sigv4_rejection::date_out_of_window:
      return "DateOutOfWindow";
    case sigv4_rejection::required_header_unsigned:
      return "RequiredHeaderUnsigned";
    case sigv4_rejection::signed_header_missing:
      return "SignedHeaderMissing";
    case sigv4_rejection::session_token_mismatch:
      return "SessionTokenMismatch";
    case sigv4_rejection::payload_hash_mismatch:
      return "PayloadHashMismatch";
    case sigv4_rejection::signature_mismatch:
      return "SignatureMismatch";
  }
  return "Unknown";
}

sigv4_rejection verify_request(const sigv4_received& request, const sigv4_acceptance& acceptance,
                               std::chrono::system_clock::time_point now) {
  if (count_headers(request.headers, authorization_header) != 1)
    return sigv4_rejection::missing_authorization;
  const auto auth = parse_authorization(find_header(request.headers, authorization_header));
  if (!auth) return sigv4_rejection::malformed_authorization;
  if (auth->access_key_id != acceptance.key.access_key_id) return sigv4_rejection::unknown_access_key;

  if (count_headers(request.headers, amz_date_header) != 1) return sigv4_rejection::missing_date;
  const auto amz_date = trim(find_header(request.headers, amz_date_header));
  const auto signed_at = parse_amz_date(amz_date);
  if (!signed_at) return sigv4_rejection::bad_date;
  if (auth->date != amz_date.substr(0, 8) || auth->region != acceptance.region ||
      auth->service != acceptance.service || auth->terminator != "aws4_request")
    return sigv4_rejection::wrong_scope;
  const auto skew = now > *signed_at ? now - *signed_at : *signed_at - now;
  if (skew > acceptance.max_clock_skew) return sigv4_rejection::date_out_of_window;

  // The signed headers' values, as received (repeated ones in arrival order).
  std::vector<header_view> signed_values;
  bool host_signed = false;
  bool date_signed = false;
  for (std::string_view names = auth->signed_headers; !names.empty();) {
    const auto semicolon = names.find(';');
    const auto name = names.substr(0, semicolon);
    names = semicolon == std::string_view::npos ? std::string_view() : names.substr(semicolon + 1);
    if (name.empty()) return sigv4_rejection::malformed_authorization;
    host_signed = host_signed || iequals(name, "host");
    date_signed = date_signed || iequals(name, amz_date_header);
    const auto before = signed_values.size();
    for (const auto& h : request.headers) {
      if (iequals(h.name, name)) signed_values.push_back({h.name, h.value});
    }
    if (signed_values.size() == before) return sigv4_rejection::signed_header_missing;
  }
  if (!host_signed || !date_signed) return sigv4_rejection::required_header_unsigned;

  const auto token_count = count_headers(request.headers, security_token_header);
  const auto& expected_token = acceptance.key.session_token;
  if (expected_token.empty()
          ? token_count != 0
          : token_count != 1 ||
                !constant_time_equal(trim(find_header(request.headers, security_token_header)),
                                     expected_token))
    return sigv4_rejection::session_token_mismatch;

  // The body as received is what was signed: a declared hash must be its hash.
  const auto payload_hash = sha256_hex(request.body);
  if (count_headers(request.headers, content_sha256_header) > 0 &&
      trim(find_header(request.headers, content_sha256_header)) != payload_hash)
    return sigv4_rejection::payload_hash_mismatch;

  const auto canonical = canonicalize_headers(signed_values);
  const auto creq = canonical_request(request.method, request.path, request.query, canonical, payload_hash);
  const auto sts = string_to_sign(amz_date, credential_scope(auth->date, auth->region, auth->service), creq);
  auto key = signing_key(acceptance.key.secret_access_key, auth->date, auth->region, auth->service);
  const auto expected = signature_hex(key, sts);
  OPENSSL_cleanse(key.data(), key.size());
  if (!constant_time_equal(auth->signature, expected)) return sigv4_rejection::signature_mismatch;
  return sigv4_rejection::none;
}

}  // namespace tsproxy::local
