#include "adapter/allow_list.hpp"

#include "adapter/target_address.hpp"
#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::lambda {

std::optional<allow_list> allow_list::parse(std::string_view spec, std::string& error) {
  allow_list list;
  while (true) {
    const std::size_t comma = spec.find(',');
    const std::string_view text = trim_ows(spec.substr(0, comma));
    if (!text.empty()) {
      entry e;
      const std::size_t colon = text.rfind(':');
      if (colon == std::string_view::npos || (text.front() == '[' && colon < text.find(']'))) {
        error = "allow-list entry " + quoted(text) + " has no :port (use :* for any port)";
        return std::nullopt;
      }
      const std::string_view port = text.substr(colon + 1);
      std::string_view address = text.substr(0, colon);
      if (port != "*" && !parse_port(port, e.port)) {
        error = "allow-list entry " + quoted(text) + " has an invalid port (1..65535 or *)";
        return std::nullopt;
      }
      const bool bracketed = !address.empty() && address.front() == '[';
      if (bracketed) {
        if (address.back() != ']') {
          error = "allow-list entry " + quoted(text) + " has an unclosed '['";
          return std::nullopt;
        }
        address = strip_brackets(address);
      } else if (address.find(':') != std::string_view::npos) {
        error = "allow-list entry " + quoted(text) +
                ": write IPv6 addresses in brackets, e.g. [fd7a:115c:a1e0::/48]:443";
        return std::nullopt;
      }
      const std::size_t slash = address.find('/');
      ip_address ip;
      if (parse_ip(address.substr(0, slash), ip)) {
        const bool written_as_v6 = address.substr(0, slash).find(':') != std::string_view::npos;
        if (bracketed != written_as_v6) {
          error = "allow-list entry " + quoted(text) + ": brackets are for IPv6 addresses only";
          return std::nullopt;
        }
        const int written_max = written_as_v6 ? 128 : 32;
        int bits = written_max;
        if (slash != std::string_view::npos) {
          const std::string_view digits = address.substr(slash + 1);
          bits = 0;
          bool ok = !digits.empty() && digits.size() <= 3;
          for (const char c : digits) {
            ok = ok && c >= '0' && c <= '9';
            if (ok) bits = bits * 10 + (c - '0');
          }
          if (!ok || bits > written_max) {
            error = "allow-list entry " + quoted(text) + " has an invalid prefix length";
            return std::nullopt;
          }
        }
        // parse_ip folded an IPv4-mapped address to IPv4: its prefix counts from bit 96.
        if (written_as_v6 && !ip.is_v6) {
          if (bits < 96) {
            error = "allow-list entry " + quoted(text) + ": an IPv4-mapped prefix must be at least /96";
            return std::nullopt;
          }
          bits -= 96;
        }
        e.is_v6 = ip.is_v6;
        e.address = ip.bytes;
        e.prefix_bits = bits;
        clear_host_bits(e.address, bits);
      } else if (!bracketed && slash == std::string_view::npos && normalize_dns_name(address, e.name)) {
        e.is_name = true;
      } else {
        error = "allow-list entry " + quoted(text) + " is not an IP address, CIDR prefix or DNS name";
        return std::nullopt;
      }
      list.entries_.push_back(std::move(e));
    }
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  if (list.entries_.empty()) {
    error = "the allow-list has no entries";
    return std::nullopt;
  }
  return list;
}

namespace {

template <typename Entry>
bool entry_admits(const Entry& e, const upstream_target& target, bool is_ip, const ip_address& ip) noexcept {
  if (e.port != 0 && e.port != target.port) return false;
  if (is_ip) return !e.is_name && e.is_v6 == ip.is_v6 && prefix_matches(e.address, ip.bytes, e.prefix_bits);
  if (!e.is_name) return false;
  std::string_view host = target.host;
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  return iequals(host, e.name);
}

}  // namespace

bool allow_list::allows(const upstream_target& target) const noexcept {
  ip_address ip;
  const bool is_ip = parse_ip(target.host, ip);
  for (const auto& e : entries_) {
    if (entry_admits(e, target, is_ip, ip)) return true;
  }
  return false;
}

bool allow_list::names_sandbox_target(const upstream_target& target) const noexcept {
  ip_address ip;
  const bool is_ip = parse_ip(target.host, ip);
  for (const auto& e : entries_) {
    const bool inside_sandbox =
        e.is_name ? is_sandbox_host(e.name) : is_sandbox_block({e.is_v6, e.address, e.prefix_bits});
    if (inside_sandbox && entry_admits(e, target, is_ip, ip)) return true;
  }
  return false;
}

}  // namespace tsproxy::lambda
