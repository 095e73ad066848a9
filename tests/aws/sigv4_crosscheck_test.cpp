// The signer against botocore's SigV4Auth (the signer of AWS's Python SDK) on generated requests:
// botocore_sign.py makes and signs them, this test signs each again and expects the same Authorization
// header, then verifies botocore's signed request with the verifier.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "adapter/base64.hpp"
#include "aws/sigv4_signer.hpp"
#include "local/sigv4_verifier.hpp"
#include "support/process.hpp"

namespace tsproxy::aws {
namespace {

using local::rejection_name;
using local::sigv4_acceptance;
using local::sigv4_rejection;
using local::verify_request;

constexpr int case_count = 200;

struct botocore_case {
  std::string method, path, query, body;
  std::vector<header_field> headers;
  credentials creds;
  std::string region, service, amz_date, authorization, canonical_request;
};

std::string python() {
  const char* configured = std::getenv("TSPROXY_TEST_PYTHON");
  return configured != nullptr ? configured : "python3";
}

std::string field(simdjson::ondemand::object& object, std::string_view name) {
  std::string_view value;
  if (object[name].get_string().get(value)) ADD_FAILURE() << "no string field " << name;
  return std::string(value);
}

std::vector<botocore_case> botocore_cases(int count, int seed) {
  const auto result = test::run_command({python(), TSPROXY_AWS_TEST_DIR "/botocore_sign.py", "--count",
                                         std::to_string(count), "--seed", std::to_string(seed)},
                                        std::chrono::seconds(120));
  if (result.exit_code != 0) {
    ADD_FAILURE() << "botocore_sign.py failed: " << result.err;
    return {};
  }
  std::vector<botocore_case> cases;
  simdjson::ondemand::parser parser;
  std::size_t begin = 0;
  while (begin < result.out.size()) {
    auto end = result.out.find('\n', begin);
    if (end == std::string::npos) end = result.out.size();
    const simdjson::padded_string line(result.out.substr(begin, end - begin));
    begin = end + 1;
    simdjson::ondemand::document doc;
    simdjson::ondemand::object object;
    if (parser.iterate(line).get(doc) || doc.get_object().get(object)) {
      ADD_FAILURE() << "bad line from botocore_sign.py";
      continue;
    }
    botocore_case c;
    c.method = field(object, "method");
    c.path = field(object, "path");
    c.query = field(object, "query");
    simdjson::ondemand::array headers;
    if (object["headers"].get_array().get(headers)) ADD_FAILURE() << "no headers";
    for (auto pair : headers) {
      simdjson::ondemand::array name_value;
      std::string_view name, value;
      if (pair.get_array().get(name_value)) continue;
      auto it = name_value.begin();
      if ((*it).get_string().get(name)) continue;
      ++it;
      if ((*it).get_string().get(value)) continue;
      c.headers.push_back({std::string(name), std::string(value)});
    }
    if (!lambda::base64_decode(field(object, "body"), c.body)) ADD_FAILURE() << "bad body";
    c.creds = {field(object, "access_key_id"), field(object, "secret_access_key"),
               field(object, "session_token")};
    c.region = field(object, "region");
    c.service = field(object, "service");
    c.amz_date = field(object, "amz_date");
    c.authorization = field(object, "authorization");
    c.canonical_request = field(object, "canonical_request");
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(Sigv4Botocore, SameAuthorizationForEveryGeneratedRequest) {
  const auto cases = botocore_cases(case_count, 20240601);
  ASSERT_EQ(cases.size(), static_cast<std::size_t>(case_count));
  int with_token = 0, with_query = 0, with_body = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    sigv4_request request{c.method, c.path, c.query, {}, c.body};
    for (const auto& h : c.headers) request.headers.push_back({h.name, h.value});
    const auto ours = sign_request(request, c.creds, c.region, c.service, c.amz_date);
    EXPECT_EQ(ours.authorization, c.authorization) << "case " << i << "\nours:\n"
                                                   << ours.canonical_request << "\nbotocore:\n"
                                                   << c.canonical_request;
    with_token += c.creds.session_token.empty() ? 0 : 1;
    with_query += c.query.empty() ? 0 : 1;
    with_body += c.body.empty() ? 0 : 1;
  }
  // The generator must keep producing the variety this test is for.
  EXPECT_GT(with_token, case_count / 5);
  EXPECT_GT(with_query, case_count / 2);
  EXPECT_GT(with_body, case_count / 2);
}

TEST(Sigv4Botocore, VerifierAcceptsBotocoreSignedRequests) {
  const auto cases = botocore_cases(case_count, 777);
  ASSERT_EQ(cases.size(), static_cast<std::size_t>(case_count));
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    std::vector<header_field> received = c.headers;
    received.push_back({"X-Amz-Date", c.amz_date});
    if (!c.creds.session_token.empty()) received.push_back({"X-Amz-Security-Token", c.creds.session_token});
    received.push_back({"Authorization", c.authorization});
    const sigv4_acceptance acceptance{c.creds, c.region, c.service};
    const auto signed_at = parse_amz_date(c.amz_date);
    ASSERT_TRUE(signed_at.has_value());
    const auto verdict =
        verify_request({c.method, c.path, c.query, received, c.body}, acceptance, *signed_at);
    // botocore signs "UNSIGNED-PAYLOAD" when told to; a Function URL check wants the body's hash.
    bool unsigned_payload = false;
    for (const auto& h : c.headers)
      unsigned_payload |= iequals(h.name, "X-Amz-Content-SHA256") && h.value == "UNSIGNED-PAYLOAD";
    EXPECT_EQ(verdict, unsigned_payload ? sigv4_rejection::payload_hash_mismatch : sigv4_rejection::none)
        << "case " << i << ": " << rejection_name(verdict);
  }
}

}  // namespace
}  // namespace tsproxy::aws
