#include "extension/tailscale_secret.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

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

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) noexcept {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

// Go's %q of `text` (strconv.Quote), byte by byte: what the CLI's messages quote names and values with.
// (Go would print valid non-ASCII UTF-8 as it is; here it is \x-escaped.)
std::string go_quote(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (u < 0x20 || u >= 0x7f) {
          out += "\\x";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

// url.QueryUnescape (Go 1.19.8 src/net/url/url.go:200-260): %XX and "+" for a space; a "%" not followed by
// two hex digits is the error `invalid URL escape "%zz"` (at most three bytes from the "%").
std::optional<std::string> query_unescape(std::string_view text, std::string& error) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size() || !is_hex(text[i + 1]) || !is_hex(text[i + 2])) {
        error = "invalid URL escape " + go_quote(text.substr(i, 3));
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i] == '+' ? ' ' : text[i]);
    }
  }
  return out;
}

// url.ParseQuery (Go 1.19.8 src/net/url/url.go:932-961): pieces split at "&", empty ones skipped, a ";" in
// one an error (the last such wins over an escape error), else the first bad escape; every pair kept.
using attribute_list = std::vector<std::pair<std::string, std::string>>;
attribute_list parse_query(std::string_view query, std::string& error) {
  attribute_list out;
  error.clear();
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (piece.find(';') != std::string_view::npos) {
      error = "invalid semicolon separator in query";
      continue;
    }
    if (piece.empty()) continue;
    const auto equals = piece.find('=');
    std::string escape_error;
    auto key = query_unescape(piece.substr(0, equals), escape_error);
    auto value = key && equals != std::string_view::npos
                     ? query_unescape(piece.substr(equals + 1), escape_error)
                     : std::optional<std::string>(std::string());
    if (!key || !value) {
      if (error.empty()) error = escape_error;
      continue;
    }
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

// strconv.ParseBool's spellings.
bool is_go_bool(std::string_view v) noexcept {
  for (const std::string_view b :
       {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"})
    if (v == b) return true;
  return false;
}

// Checks the attributes after "?" as `tailscale up` will (parseOptionalAttributes:
// tailscale/tailscale@v1.102.3 feature/oauthkey/oauthkey.go:78-115), then adds the defaults tsproxy wants.
std::optional<std::string> with_client_secret_attributes(std::string_view secret, std::string& error) {
  const auto question = secret.find('?');
  std::string out(secret);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : secret.substr(question + 1);
  const auto attributes = parse_query(query, error);
  if (!error.empty()) return std::nullopt;
  for (const auto& [name, value] : attributes) {
    if (std::find(client_secret_attributes.begin(), client_secret_attributes.end(), name) ==
        client_secret_attributes.end()) {
      error = "unknown attribute " + go_quote(name);
      return std::nullopt;
    }
  }
  // attrs.Get: the first value counts; an empty one means the default.
  const auto first = [&](std::string_view name) -> const std::string* {
    for (const auto& [key, value] : attributes)
      if (key == name) return &value;
    return nullptr;
  };
  for (const std::string_view name : {"ephemeral", "preauthorized"}) {
    const auto* value = first(name);
    if (value != nullptr && !value->empty() && !is_go_bool(*value)) {
      error = "invalid attribute boolean attribute " + std::string(name) + " value " + go_quote(*value);
      return std::nullopt;
    }
  }
  char separator = question == std::string_view::npos ? '?' : '&';
  if (question != std::string_view::npos && (out.back() == '&' || out.back() == '?')) separator = '\0';
  const auto add = [&](std::string_view attribute) {
    if (separator != '\0') out.push_back(separator);
    out.append(attribute);
    separator = '&';
  };
  if (first("ephemeral") == nullptr) add("ephemeral=true");
  if (first("preauthorized") == nullptr) add("preauthorized=true");
  return out;
}

std::optional<tailscale_credential> credential_of(std::string_view key, std::string& error,
                                                  secret_problem* problem) {
  if (!is_token(key)) {
    error = "the Tailscale key must be one word of printable ASCII";
    return std::nullopt;
  }
  if (!key.starts_with(client_secret_prefix))
    return tailscale_credential{credential_kind::auth_key, std::string(key)};
  auto value = with_client_secret_attributes(key, error);
  if (!value) {
    if (problem != nullptr) *problem = secret_problem::oauth_attributes;
    return std::nullopt;
  }
  return tailscale_credential{credential_kind::oauth_client_secret, std::move(*value)};
}

std::optional<tailscale_credential> from_json(std::string_view json, std::string& error,
                                              secret_problem* problem) {
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
  if (auth_key) return credential_of(*auth_key, error, problem);
  if (!client_secret) {
    error = "the secret is a JSON object without \"authKey\" or \"clientSecret\"";
    return std::nullopt;
  }
  if (!client_secret->starts_with(client_secret_prefix)) {
    error = "\"clientSecret\" in the secret must be an OAuth client secret (tskey-client-...)";
    return std::nullopt;
  }
  return credential_of(*client_secret, error, problem);
}

}  // namespace

std::optional<tailscale_credential> parse_tailscale_secret(std::string_view secret, std::string& error,
                                                           secret_problem* problem) {
  if (problem != nullptr) *problem = secret_problem::form;
  if (secret.size() > max_secret_bytes) {
    error = "the secret is larger than 64 KiB";
    return std::nullopt;
  }
  const auto text = without_spaces(secret);
  if (text.empty()) {
    error = "the secret is empty";
    return std::nullopt;
  }
  if (text.front() == '{') return from_json(text, error, problem);
  return credential_of(text, error, problem);
}

}  // namespace tsproxy::extension
