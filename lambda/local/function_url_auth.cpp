#include "function_url_auth.hpp"

#include <fstream>

namespace tsproxy::local {

namespace {

constexpr std::size_t max_credentials_file_bytes = 1024 * 1024;

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<aws::credentials> parse_credentials_file(std::string_view text, std::string_view profile,
                                                       std::string& error) {
  aws::credentials out;
  bool has_sections = false;
  bool in_profile = true;  // keys before any section header belong to a file without sections
  bool profile_seen = false;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      has_sections = true;
      in_profile = trim(line.substr(1, line.size() - 2)) == profile;
      profile_seen = profile_seen || in_profile;
      continue;
    }
    if (!in_profile || (has_sections && !profile_seen)) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = trim(line.substr(0, eq));
    const auto value = std::string(trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") out.access_key_id = value;
    if (key == "aws_secret_access_key") out.secret_access_key = value;
    if (key == "aws_session_token") out.session_token = value;
  }
  if (has_sections && !profile_seen) {
    error = "no [" + std::string(profile) + "] section";
    return std::nullopt;
  }
  if (out.access_key_id.empty() || out.secret_access_key.empty()) {
    error = "aws_access_key_id or aws_secret_access_key missing";
    return std::nullopt;
  }
  return out;
}

std::optional<sigv4_acceptance> load_function_url_auth(const local_options& options,
                                                       std::string_view function_region,
                                                       const env_lookup& env, std::string& error) {
  sigv4_acceptance acceptance;
  acceptance.region = options.auth_region.empty() ? std::string(function_region) : options.auth_region;
  acceptance.service = "lambda";
  if (!options.auth_credentials_file.empty()) {
    std::ifstream in(options.auth_credentials_file, std::ios::binary);
    if (!in) {
      error = "--auth-credentials: cannot read " + options.auth_credentials_file;
      return std::nullopt;
    }
    std::string text(max_credentials_file_bytes, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    std::string why;
    auto key = parse_credentials_file(text, options.auth_profile, why);
    if (!key) {
      error = "--auth-credentials " + options.auth_credentials_file + ": " + why;
      return std::nullopt;
    }
    acceptance.key = std::move(*key);
    return acceptance;
  }
  const auto value = [&](const char* name) {
    const char* v = env(name);
    return v != nullptr ? std::string(v) : std::string();
  };
  acceptance.key = {value("AWS_ACCESS_KEY_ID"), value("AWS_SECRET_ACCESS_KEY"), value("AWS_SESSION_TOKEN")};
  if (acceptance.key.access_key_id.empty() || acceptance.key.secret_access_key.empty()) {
    error = "--auth aws_iam needs --auth-credentials FILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
    return std::nullopt;
  }
  return acceptance;
}

sigv4_rejection check_function_url_request(const sigv4_acceptance& acceptance, const request_head& head,
                                           std::string_view body, std::chrono::system_clock::time_point now) {
  const std::string_view target = head.target;
  const auto question = target.find('?');
  const auto path = target.substr(0, question);
  const auto query = question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  return verify_request({head.method, path, query, head.headers, body}, acceptance, now);
}

}  // namespace tsproxy::local
