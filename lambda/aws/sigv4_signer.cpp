#include "aws/sigv4_signer.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <utility>

namespace tsproxy::aws {

namespace {

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view upper_hex_digits = "0123456789ABCDEF";
constexpr std::string_view scope_terminator = "aws4_request";

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = hex_digits[bytes[i] >> 4];
    out[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
  }
  return out;
}

signing_key_bytes hmac(std::string_view key, std::string_view data) {
  signing_key_bytes out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &length);
  return out;
}

std::string_view as_view(const signing_key_bytes& key) noexcept {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

char lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower_ascii);
  return out;
}

// RFC 3986 section 5.2.4, plus what AWS adds: empty segments ("//") go too.
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> kept;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    auto end = path.find('/', begin);
    if (end == std::string_view::npos) end = path.size();
    const auto segment = path.substr(begin, end - begin);
    if (segment == "..") {
      if (!kept.empty()) kept.pop_back();
    } else if (!segment.empty() && segment != ".") {
      kept.push_back(segment);
    }
    begin = end + 1;
  }
  std::string out;
  if (!path.empty() && path.front() == '/') out += '/';
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) out += '/';
    out += kept[i];
  }
  if (!kept.empty() && path.back() == '/') out += '/';
  return out;
}

std::string_view find_header_value(const std::vector<header_view>& headers, std::string_view name) noexcept {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

bool has_header(const std::vector<header_view>& headers, std::string_view name) noexcept {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const header_view& h) { return iequals(h.name, name); });
}

}  // namespace

std::string uri_encode(std::string_view bytes, bool keep_slash) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += upper_hex_digits[c >> 4];
      out += upper_hex_digits[c & 0x0f];
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  if (path.empty()) return "/";
  const auto normalized = remove_dot_segments(path);
  if (normalized.empty()) return "/";
  return uri_encode(normalized, true);
}

std::string canonical_query(std::string_view query) {
  if (query.empty()) return {};
  std::vector<std::pair<std::string, std::string>> pairs;
  std::size_t begin = 0;
  while (begin <= query.size()) {
    auto end = query.find('&', begin);
    if (end == std::string_view::npos) end = query.size();
    const auto piece = query.substr(begin, end - begin);
    const auto eq = piece.find('=');
    const auto name = piece.substr(0, eq);
    const auto value = eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    pairs.emplace_back(uri_encode(percent_decode(name), false), uri_encode(percent_decode(value), false));
    begin = end + 1;
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (const char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

canonical_header_list canonicalize_headers(const std::vector<header_view>& headers) {
  std::vector<std::pair<std::string, std::string>> fields;
  fields.reserve(headers.size());
  for (const auto& h : headers) fields.emplace_back(lower(h.name), canonical_header_value(h.value));
  // Stable: repeated headers keep the order they were sent in.
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  canonical_header_list out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const bool repeat = i > 0 && fields[i].first == fields[i - 1].first;
    if (repeat) {
      out.block.back() = ',';  // replaces the previous value's '\n'
    } else {
      if (!out.signed_names.empty()) out.signed_names += ';';
      out.signed_names += fields[i].first;
      out.block += fields[i].first;
      out.block += ':';
    }
    out.block += fields[i].second;
    out.block += '\n';
  }
  return out;
}

std::string canonical_request(std::string_view method, std::string_view path, std::string_view query,
                              const canonical_header_list& headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + path.size() * 3 + query.size() * 3 + headers.block.size() +
              headers.signed_names.size() + payload_hash.size() + 8);
  out += method;
  out += '\n';
  out += canonical_uri(path);
  out += '\n';
  out += canonical_query(query);
  out += '\n';
  out += headers.block;
  out += '\n';
  out += headers.signed_names;
  out += '\n';
  out += payload_hash;
  return out;
}

std::string credential_scope(std::string_view date, std::string_view region, std::string_view service) {
  std::string out;
  out.reserve(date.size() + region.size() + service.size() + scope_terminator.size() + 3);
  out += date;
  out += '/';
  out += region;
  out += '/';
  out += service;
  out += '/';
  out += scope_terminator;
  return out;
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  std::string out;
  out += sigv4_algorithm;
  out += '\n';
  out += amz_date;
  out += '\n';
  out += scope;
  out += '\n';
  out += sha256_hex(canonical_request);
  return out;
}

signing_key_bytes signing_key(std::string_view secret_access_key, std::string_view date,
                              std::string_view region, std::string_view service) {
  std::string first = "AWS4";
  first += secret_access_key;
  const auto k_date = hmac(first, date);
  // The key material must not linger in freed memory.
  OPENSSL_cleanse(first.data(), first.size());
  const auto k_region = hmac(as_view(k_date), region);
  const auto k_service = hmac(as_view(k_region), service);
  return hmac(as_view(k_service), scope_terminator);
}

std::string signature_hex(const signing_key_bytes& key, std::string_view string_to_sign) {
  const auto mac = hmac(as_view(key), string_to_sign);
  return to_hex(mac.data(), mac.size());
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return to_hex(digest, length);
}

std::string format_amz_date(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const auto n = std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string(buf, n);
}

std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  int fields[6] = {};
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  std::size_t at = 0;
  for (int f = 0; f < 6; ++f) {
    if (f == 3) at = 9;  // skip the 'T'
    for (int i = 0; i < widths[f]; ++i, ++at) {
      const char c = text[at];
      if (c < '0' || c > '9') return std::nullopt;
      fields[f] = fields[f] * 10 + (c - '0');
    }
  }
  std::tm tm{};
  tm.tm_year = fields[0] - 1900;
  tm.tm_mon = fields[1] - 1;
  tm.tm_mday = fields[2];
  tm.tm_hour = fields[3];
  tm.tm_min = fields[4];
  tm.tm_sec = fields[5];
  const std::time_t t = timegm(&tm);
  // timegm normalises out-of-range fields (month 13, second 61); such a date is not valid.
  std::tm back{};
  gmtime_r(&t, &back);
  if (back.tm_year != fields[0] - 1900 || back.tm_mon != fields[1] - 1 || back.tm_mday != fields[2] ||
      back.tm_hour != fields[3] || back.tm_min != fields[4] || back.tm_sec != fields[5])
    return std::nullopt;
  return std::chrono::system_clock::from_time_t(t);
}

sigv4_signature sign_request(const sigv4_request& request, const credentials& creds, std::string_view region,
                             std::string_view service, std::string_view amz_date) {
  sigv4_signature out;
  out.amz_date = amz_date;
  const auto date = amz_date.substr(0, 8);
  out.credential_scope = credential_scope(date, region, service);
  std::vector<header_view> headers = request.headers;
  headers.push_back({amz_date_header, out.amz_date});
  if (!creds.session_token.empty()) headers.push_back({security_token_header, creds.session_token});
  out.payload_hash = has_header(headers, content_sha256_header)
                         ? std::string(find_header_value(headers, content_sha256_header))
                         : sha256_hex(request.body);
  const auto canonical = canonicalize_headers(headers);
  out.signed_headers = canonical.signed_names;
  out.canonical_request =
      canonical_request(request.method, request.path, request.query, canonical, out.payload_hash);
  out.string_to_sign = string_to_sign(out.amz_date, out.credential_scope, out.canonical_request);
  auto key = signing_key(creds.secret_access_key, date, region, service);
  out.signature = signature_hex(key, out.string_to_sign);
  OPENSSL_cleanse(key.data(), key.size());
  out.authorization = std::string(sigv4_algorithm) + " Credential=" + creds.access_key_id + '/' +
                      out.credential_scope + ", SignedHeaders=" + out.signed_headers +
                      ", Signature=" + out.signature;
  return out;
}

std::vector<header_field> signature_headers(const sigv4_signature& signature, const credentials& creds) {
  std::vector<header_field> out;
  out.push_back({std::string(amz_date_header), signature.amz_date});
  if (!creds.session_token.empty()) out.push_back({std::string(security_token_header), creds.session_token});
  out.push_back({std::string(authorization_header), signature.authorization});
  return out;
}

}  // namespace tsproxy::aws
