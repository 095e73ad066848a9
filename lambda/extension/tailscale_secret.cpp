#include "extension/tailscale_secret.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>

namespace tsproxy::extension {

namespace {

constexpr std::string_view client_secret_prefix = "tskey-client-";
constexpr std::array<std::string_view, 3> client_secret_attributes{"ephemeral", "preauthorized", "baseURL"};

std::string_view without_spaces(std::string_view text) noexcept {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

// A key goes into a file the CLI reads and trims, and on a command line in older setups: one token.
bool is_token(std::string_view key) noexcept {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

// Checks the attributes after "?" and adds the defaults tsproxy wants.
std::optional<std::string> with_client_secret_attributes(std::string_view secret, std::string& error) {
  const auto question = secret.find('?');
  std::string out(secret);
  std::string_view query =
      question == std::string_view::npos ? std::string_view{} : secret.substr(question + 1);
  bool has_ephemeral = false;
  bool has_preauthorized = false;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto name = pair.substr(0, pair.find('='));
    if (std::find(client_secret_attributes.begin(), client_secret_attributes.end(), name) ==
        client_secret_attributes.end()) {
      error = "the OAuth client secret has an unknown attribute \"" + std::string(name.substr(0, 32)) +
              "\" (known: ephemeral, preauthorized, baseURL)";
      return std::nullopt;
    }
    has_ephemeral = has_ephemeral || name == "ephemeral";
    has_preauthorized = has_preauthorized || name == "preauthorized";
  }
  char separator = question == std::string_view::npos ? '?' : '&';
  if (question != std::string_view::npos && (out.back() == '&' || out.back() == '?')) separator = '\0';
  const auto add = [&](std::string_view attribute) {
    if (separator != '\0') out.push_back(separator);
    out.append(attribute);
    separator = '&';
  };
  if (!has_ephemeral) add("ephemeral=true");
  if (!has_preauthorized) add("preauthorized=true");
  return out;
}

std::optional<tailscale_credential> credential_of(std::string_view key, std::string& error) {
  if (!is_token(key)) {
    error = "the Tailscale key must be one word of printable ASCII";
    return std::nullopt;
  }
  if (!key.starts_with(client_secret_prefix))
    return tailscale_credential{credential_kind::auth_key, std::string(key)};
  auto value = with_client_secret_attributes(key, error);
  if (!value) return std::nullopt;
  return tailscale_credential{credential_kind::oauth_client_secret, std::move(*value)};
}

std::optional<tailscale_credential> from_json(std::string_view json, std::string& error) {
  // The DOM parser validates the whole document (trailing bytes included); a secret is small.
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(json.data(), json.size()).get(root)) {
    error = "the secret starts with '{' but is not a JSON object";
    return std::nullopt;
  }
  std::optional<std::string> auth_key;
  std::optional<std::string> client_secret;
  for (const auto field : root) {
    if (field.key != "authKey" && field.key != "clientSecret") continue;
    std::string_view value;
    if (field.value.get_string().get(value)) {
      error = "\"" + std::string(field.key) + "\" in the secret must be a string";
      return std::nullopt;
    }
    (field.key == "authKey" ? auth_key : client_secret) = std::string(without_spaces(value));
  }
  if (auth_key) return credential_of(*auth_key, error);
  if (!client_secret) {
    error = "the secret is a JSON object without \"authKey\" or \"clientSecret\"";
    return std::nullopt;
  }
  if (!client_secret->starts_with(client_secret_prefix)) {
    error = "\"clientSecret\" in the secret must be an OAuth client secret (tskey-client-...)";
    return std::nullopt;
  }
  return credential_of(*client_secret, error);
}

}  // namespace

std::optional<tailscale_credential> parse_tailscale_secret(std::string_view secret, std::string& error) {
  if (secret.size() > max_secret_bytes) {
    error = "the secret is larger than 64 KiB";
    return std::nullopt;
  }
  const auto text = without_spaces(secret);
  if (text.empty()) {
    error = "the secret is empty";
    return std::nullopt;
  }
  if (text.front() == '{') return from_json(text, error);
  return credential_of(text, error);
}

}  // namespace tsproxy::extension
