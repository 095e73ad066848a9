#include "credentials_file.hpp"

#include <algorithm>

namespace tsproxy::local {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string section_label(std::string_view name) {
  if (name.empty()) return "the file";
  std::string label = "[";
  label.append(name).push_back(']');
  return label;
}

// Where a key's value goes; nullptr for keys tsproxy-local does not read.
std::string* field_of(credentials_section& section, std::string_view key) {
  if (key == "aws_access_key_id") return &section.key.access_key_id;
  if (key == "aws_secret_access_key") return &section.key.secret_access_key;
  if (key == "aws_session_token") return &section.key.session_token;
  if (key == "principal_arn") return &section.principal_arn;
  if (key == "user_id") return &section.user_id;
  if (key == "principal_org_id") return &section.principal_org_id;
  if (key == "aws_account_id") return &section.account_id;
  return nullptr;
}

// Every section of the text, in order; keys before the first header form an unnamed one.
std::vector<credentials_section> read_sections(std::string_view text) {
  std::vector<credentials_section> sections(1);
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      sections.push_back({.name = std::string(trim(line.substr(1, line.size() - 2)))});
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (auto* field = field_of(sections.back(), trim(line.substr(0, eq))))
      *field = std::string(trim(line.substr(eq + 1)));
  }
  return sections;
}

}  // namespace

std::optional<std::vector<credentials_section>> parse_credentials_file(
    std::string_view text, const std::vector<std::string>& profiles, std::string& error) {
  auto sections = read_sections(text);
  std::vector<credentials_section> chosen;
  if (sections.size() == 1) {
    chosen = std::move(sections);
  } else {
    const std::vector<std::string> defaults{"default"};
    for (const auto& name : profiles.empty() ? defaults : profiles) {
      const auto it = std::find_if(sections.begin() + 1, sections.end(),
                                   [&](const credentials_section& s) { return s.name == name; });
      if (it == sections.end()) {
        error = "no [" + name + "] section";
        return std::nullopt;
      }
      chosen.push_back(*it);
    }
  }
  for (auto it = chosen.begin(); it != chosen.end(); ++it) {
    if (it->key.access_key_id.empty() || it->key.secret_access_key.empty()) {
      error = section_label(it->name) + ": aws_access_key_id or aws_secret_access_key missing";
      return std::nullopt;
    }
    const auto same = std::find_if(chosen.begin(), it, [&](const credentials_section& earlier) {
      return earlier.key.access_key_id == it->key.access_key_id;
    });
    if (same != it) {
      error = section_label(it->name) + ": access key " + it->key.access_key_id + " is also the key of " +
              section_label(same->name);
      return std::nullopt;
    }
  }
  return chosen;
}

}  // namespace tsproxy::local
