#include "tsproxy/engine/dns_message.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace tsproxy {

namespace {

constexpr std::size_t header_size = 12;
constexpr std::uint16_t class_in = 1;
constexpr std::uint16_t flag_response = 0x8000;
constexpr std::uint16_t flag_truncated = 0x0200;
constexpr std::uint16_t flag_recursion_desired = 0x0100;
constexpr std::size_t max_label = 63;
constexpr std::size_t max_name_text = 253;  // without the trailing dot
constexpr std::size_t max_name_wire = 255;

class dns_error_category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tsproxy.dns"; }
  std::string message(int ev) const override {
    switch (static_cast<dns_error>(ev)) {
      case dns_error::name_not_found:
        return "the name does not exist (NXDOMAIN)";
      case dns_error::no_address:
        return "the name has no address record";
      case dns_error::server_failure:
        return "the name server could not answer";
      case dns_error::bad_response:
        return "the name server sent a malformed or unrelated answer";
      case dns_error::invalid_name:
        return "not a valid host name";
      case dns_error::timeout:
        return "no name server answered in time";
      case dns_error::no_servers:
        return "no name server is configured";
    }
    return "unknown DNS error";
  }
};

void dns_put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

std::uint16_t dns_get16(std::string_view m, std::size_t at) noexcept {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(m[at]) << 8) |
                                    static_cast<unsigned char>(m[at + 1]));
}

std::uint32_t dns_get32(std::string_view m, std::size_t at) noexcept {
  return (static_cast<std::uint32_t>(dns_get16(m, at)) << 16) | dns_get16(m, at + 2);
}

char dns_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool label_byte_ok(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// The name without a trailing dot, lower-cased, or nullopt when it cannot be asked.
std::optional<std::string> normalize(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > max_name_text) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  std::size_t label = 0;
  for (const char c : name) {
    if (c == '.') {
      if (label == 0) return std::nullopt;
      label = 0;
    } else {
      if (!label_byte_ok(c) || ++label > max_label) return std::nullopt;
    }
    out += dns_lower(c);
  }
  if (label == 0) return std::nullopt;
  return out;
}

// Reads the (possibly compressed) name at `at` as lower-case dotted text; `next` is the offset after it
// in the record that holds it.
bool read_name(std::string_view m, std::size_t at, std::string& name, std::size_t& next) {
  name.clear();
  std::size_t wire = 0;
  int jumps = 0;
  bool jumped = false;
  for (;;) {
    if (at >= m.size()) return false;
    const auto len = static_cast<unsigned char>(m[at]);
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= m.size() || ++jumps > dns_max_pointer_jumps) return false;
      const std::size_t target = dns_get16(m, at) & 0x3fff;
      if (target >= at) return false;  // only backwards: no loops
      if (!jumped) next = at + 2;
      jumped = true;
      at = target;
      continue;
    }
    if ((len & 0xc0) != 0) return false;  // the 0x40 and 0x80 label types are not in use
    if (len == 0) {
      if (!jumped) next = at + 1;
      return ++wire <= max_name_wire;
    }
    if (at + 1 + len > m.size()) return false;
    wire += 1 + len;
    if (wire > max_name_wire) return false;
    if (!name.empty()) name += '.';
    for (std::size_t i = 0; i < len; ++i) name += dns_lower(m[at + 1 + i]);
    at += 1 + len;
  }
}

struct record {
  std::string owner;
  std::uint16_t type;
  std::uint32_t ttl;
  std::size_t rdata;  // offset
  std::uint16_t rdlength;
};

}  // namespace

const std::error_category& dns_category() noexcept {
  static const dns_error_category instance;
  return instance;
}

std::error_code make_error_code(dns_error e) noexcept {
  return {static_cast<int>(e), dns_category()};
}

std::string_view dns_error_name(dns_error e) noexcept {
  switch (e) {
    case dns_error::name_not_found:
      return "DnsNameNotFound";
    case dns_error::no_address:
      return "DnsNoAddress";
    case dns_error::server_failure:
      return "DnsServerFailure";
    case dns_error::bad_response:
      return "DnsBadResponse";
    case dns_error::invalid_name:
      return "DnsInvalidName";
    case dns_error::timeout:
      return "DnsTimeout";
    case dns_error::no_servers:
      return "DnsNoServers";
  }
  return "DnsError";
}

std::error_code build_dns_query(std::string_view name, std::uint16_t id, dns_record_type type,
                                std::string& out) {
  const auto normalized = normalize(name);
  if (!normalized) return make_error_code(dns_error::invalid_name);
  dns_put16(out, id);
  dns_put16(out, flag_recursion_desired);
  dns_put16(out, 1);  // one question
  dns_put16(out, 0);
  dns_put16(out, 0);
  dns_put16(out, 0);
  std::size_t begin = 0;
  const std::string_view text = *normalized;
  while (begin < text.size()) {
    auto end = text.find('.', begin);
    if (end == std::string_view::npos) end = text.size();
    out += static_cast<char>(end - begin);
    out.append(text.substr(begin, end - begin));
    begin = end + 1;
  }
  out += '\0';
  dns_put16(out, static_cast<std::uint16_t>(type));
  dns_put16(out, class_in);
  return {};
}

std::error_code parse_dns_response(std::string_view m, std::uint16_t id, std::string_view name,
                                   dns_record_type type, dns_answer& out) {
  out = {};
  const auto bad = make_error_code(dns_error::bad_response);
  const auto asked = normalize(name);
  if (!asked) return make_error_code(dns_error::invalid_name);
  if (m.size() < header_size) return bad;
  const auto flags = dns_get16(m, 2);
  if (dns_get16(m, 0) != id || (flags & flag_response) == 0 || ((flags >> 11) & 0xf) != 0) return bad;
  if ((flags & flag_truncated) != 0) {
    out.truncated = true;
    return {};
  }
  switch (flags & 0xf) {
    case 0:
      break;
    case 3:
      return make_error_code(dns_error::name_not_found);
    default:
      return make_error_code(dns_error::server_failure);
  }
  if (dns_get16(m, 4) != 1) return bad;
  const std::size_t answers = dns_get16(m, 6);

  std::size_t at = header_size;
  std::string owner;
  if (!read_name(m, at, owner, at) || owner != *asked || at + 4 > m.size()) return bad;
  if (dns_get16(m, at) != static_cast<std::uint16_t>(type) || dns_get16(m, at + 2) != class_in) return bad;
  at += 4;

  std::vector<record> records;
  for (std::size_t i = 0; i < answers; ++i) {
    record r;
    if (!read_name(m, at, r.owner, at) || at + 10 > m.size()) return bad;
    r.type = dns_get16(m, at);
    const auto rclass = dns_get16(m, at + 2);
    r.ttl = dns_get32(m, at + 4);
    r.rdlength = dns_get16(m, at + 8);
    r.rdata = at + 10;
    at = r.rdata + r.rdlength;
    if (at > m.size()) return bad;
    if (rclass == class_in) records.push_back(std::move(r));
  }

  // The names that stand for the one asked: itself, then each CNAME target in turn.
  std::vector<std::string> names{*asked};
  std::uint32_t ttl = UINT32_MAX;
  for (std::size_t hop = 0; hop < dns_max_cname_hops; ++hop) {
    const auto cname = std::find_if(records.begin(), records.end(), [&](const record& r) {
      return r.type == static_cast<std::uint16_t>(dns_record_type::cname) && r.owner == names.back();
    });
    if (cname == records.end()) break;
    std::string target;
    std::size_t ignored = 0;
    if (!read_name(m, cname->rdata, target, ignored)) return bad;
    if (std::find(names.begin(), names.end(), target) != names.end()) return bad;  // a CNAME loop
    ttl = std::min(ttl, cname->ttl);
    names.push_back(std::move(target));
  }
  const std::size_t size = type == dns_record_type::a ? 4 : 16;
  for (const auto& r : records) {
    if (r.type != static_cast<std::uint16_t>(type) ||
        std::find(names.begin(), names.end(), r.owner) == names.end())
      continue;
    if (r.rdlength != size) return bad;
    if (type == dns_record_type::a) {
      asio::ip::address_v4::bytes_type bytes;
      std::copy_n(m.data() + r.rdata, 4, reinterpret_cast<char*>(bytes.data()));
      out.addresses.emplace_back(asio::ip::address_v4(bytes));
    } else {
      asio::ip::address_v6::bytes_type bytes;
      std::copy_n(m.data() + r.rdata, 16, reinterpret_cast<char*>(bytes.data()));
      out.addresses.emplace_back(asio::ip::address_v6(bytes));
    }
    ttl = std::min(ttl, r.ttl);
  }
  if (out.addresses.empty()) return make_error_code(dns_error::no_address);
  out.ttl = ttl;
  return {};
}

}  // namespace tsproxy
