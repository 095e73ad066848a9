#include "function_url_auth.hpp"

#include <fstream>

#include "credentials_file.hpp"

namespace tsproxy::local {

namespace {

constexpr std::size_t max_credentials_file_bytes = 1024 * 1024;

sigv4_acceptance acceptance_for(aws::credentials key, std::string_view region) {
  sigv4_acceptance acceptance;
  acceptance.key = std::move(key);
  acceptance.region = std::string(region);
  acceptance.service = "lambda";
  return acceptance;
}

std::optional<function_url_iam> load_from_file(const std::string& file,
                                               const std::vector<std::string>& profiles,
                                               std::string_view region, std::string& error) {
  const auto fail = [&](std::string_view why) {
    error = "--auth-credentials " + file + ": " + std::string(why);
    return std::nullopt;
  };
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "--auth-credentials: cannot read " + file;
    return std::nullopt;
  }
  std::string text(max_credentials_file_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::string why;
  auto sections = parse_credentials_file(text, profiles, why);
  if (!sections) return fail(why);
  function_url_iam iam;
  for (auto& section : *sections) {
    auto principal = make_iam_principal(
        section.key.access_key_id,
        {section.principal_arn, section.user_id, section.principal_org_id, section.account_id}, why);
    if (!principal) return fail((section.name.empty() ? "" : "[" + section.name + "]: ") + why);
    iam.signers.push_back({acceptance_for(std::move(section.key), region), std::move(*principal)});
  }
  return iam;
}

}  // namespace

std::optional<function_url_iam> load_function_url_auth(const local_options& options,
                                                       std::string_view function_region,
                                                       const env_lookup& env, std::string& error) {
  const std::string_view region = options.auth_region.empty() ? function_region : options.auth_region;
  if (!options.auth_credentials_file.empty())
    return load_from_file(options.auth_credentials_file, options.auth_profiles, region, error);
  const auto value = [&](const char* name) {
    const char* v = env(name);
    return v != nullptr ? std::string(v) : std::string();
  };
  aws::credentials key{value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"),
                       value("AWS_SESSION_TOKEN")};
  if (key.access_key_id.empty() || key.secret_access_key.empty()) {
    error = "--auth aws_iam needs --auth-credentials FILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
    return std::nullopt;
  }
  // The environment says nothing of the key's principal: the function learns only the access key.
  iam_principal principal{.access_key = key.access_key_id};
  function_url_iam iam;
  iam.signers.push_back({acceptance_for(std::move(key), region), std::move(principal)});
  return iam;
}

function_url_verdict check_function_url_request(const function_url_iam& iam, const request_head& head,
                                                std::string_view body,
                                                std::chrono::system_clock::time_point now) {
  const std::string_view target = head.target;
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  const sigv4_received received{head.method, path, query, head.headers, body};
  // Each signer's rule refuses every other key as unknown, so the first other verdict is the one for the
  // key that signed (access key ids are distinct); a request that fails before naming a key fails alike
  // for all.
  for (const auto& signer : iam.signers) {
    const auto rejection = verify_request(received, signer.acceptance, now);
    if (rejection == sigv4_rejection::none) return {rejection, &signer.principal};
    if (rejection != sigv4_rejection::unknown_access_key) return {rejection, nullptr};
  }
  return {sigv4_rejection::unknown_access_key, nullptr};
}

}  // namespace tsproxy::local
