#pragma once
// AWS Signature Version 4 for services other than S3 (docs/PROTOCOLS.md section 6): the canonical
// request, the string to sign, the credential scope, the signing key and the Authorization header.
// A pure unit on OpenSSL's SHA-256 and HMAC: no clock and no I/O (the caller passes the time), and every
// intermediate string is returned, so that each step can be compared with AWS's published test suite.
//
// Input is the request as it goes on the wire. The canonical forms follow AWS's rules:
//  - path: dot segments and empty segments removed, then every byte except the unreserved ones
//    (A-Z a-z 0-9 - _ . ~) and '/' percent-encoded, so a path that is already percent-encoded on the wire
//    is encoded once more (the rule for every service but S3);
//  - query: each name and value percent-decoded, then encoded again with only the unreserved bytes left
//    as they are (a space is %20, a literal '+' is %2B), pairs sorted by encoded name, then value;
//  - headers: names lower-cased and sorted, values trimmed with inner runs of spaces and tabs collapsed to
//    one space, repeated headers joined with ',' in the order they were sent;
//  - payload: the hex SHA-256 of the body, unless an X-Amz-Content-SHA256 header is signed, whose value
//    then stands for it (as AWS's SDKs do).

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::aws {

struct credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

// A request as it is sent. Views must outlive the call.
struct sigv4_request {
  std::string_view method;           // e.g. "POST"
  std::string_view path;             // the request target up to '?', as sent
  std::string_view query;            // after '?', as sent; empty when there is none
  std::vector<header_view> headers;  // every header to sign, in sending order; Host must be one of them
  std::string_view body;
};

// Everything signing produced, step by step.
struct sigv4_signature {
  std::string amz_date;          // the X-Amz-Date value, e.g. 20150830T123600Z
  std::string credential_scope;  // e.g. 20150830/us-east-1/service/aws4_request
  std::string payload_hash;      // hex SHA-256 of the body (or the signed X-Amz-Content-SHA256 value)
  std::string signed_headers;    // e.g. host;x-amz-date
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // 64 hex digits
  std::string authorization;  // the Authorization header value
};

// The name and value of the headers signing adds to a request.
inline constexpr std::string_view amz_date_header = "X-Amz-Date";
inline constexpr std::string_view security_token_header = "X-Amz-Security-Token";
inline constexpr std::string_view authorization_header = "Authorization";
inline constexpr std::string_view content_sha256_header = "X-Amz-Content-SHA256";
inline constexpr std::string_view sigv4_algorithm = "AWS4-HMAC-SHA256";

// Signs `request` as of `amz_date` (see format_amz_date). The signed headers are the request's own plus
// X-Amz-Date and, when `creds` has a session token, X-Amz-Security-Token; the request must then be sent
// with the headers of signature_headers() added (and carry no such headers of its own).
sigv4_signature sign_request(const sigv4_request& request, const credentials& creds, std::string_view region,
                             std::string_view service, std::string_view amz_date);

// X-Amz-Date, X-Amz-Security-Token (with a session token) and Authorization, in that order.
std::vector<header_field> signature_headers(const sigv4_signature& signature, const credentials& creds);

// --- The steps, for tests and for tsproxy-local's verifier (lambda/local/sigv4_verifier.hpp) -------

// Percent-encodes every byte but the unreserved ones (and '/' when `keep_slash`), with upper-case hex.
std::string uri_encode(std::string_view bytes, bool keep_slash);
// Decodes %XX escapes (either case); a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text);

std::string canonical_uri(std::string_view path);
std::string canonical_query(std::string_view query);
// Trimmed, with each inner run of spaces and tabs replaced by one space.
std::string canonical_header_value(std::string_view value);

struct canonical_header_list {
  std::string block;         // "name:value\n" per distinct name, names sorted
  std::string signed_names;  // "name;name"
};
// Every header of `headers`, canonicalised and grouped by lower-cased name.
canonical_header_list canonicalize_headers(const std::vector<header_view>& headers);

std::string canonical_request(std::string_view method, std::string_view path, std::string_view query,
                              const canonical_header_list& headers, std::string_view payload_hash);
std::string credential_scope(std::string_view date, std::string_view region, std::string_view service);
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);

using signing_key_bytes = std::array<unsigned char, 32>;
// HMAC chain "AWS4" + secret -> date -> region -> service -> "aws4_request". `date` is YYYYMMDD.
signing_key_bytes signing_key(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service);
// Hex HMAC-SHA256 of the string to sign under the signing key.
std::string signature_hex(const signing_key_bytes& key, std::string_view string_to_sign);

std::string sha256_hex(std::string_view bytes);

// "YYYYMMDDTHHMMSSZ" in UTC, and back (nullopt unless exactly that form and a valid time).
std::string format_amz_date(std::chrono::system_clock::time_point when);
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text);

}  // namespace tsproxy::aws
