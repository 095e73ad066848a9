#pragma once
// An AWS endpoint URL as AWS_ENDPOINT_URL* variables give it: http:// or https://, a host name, IPv4 or
// [IPv6] literal, an optional port and an optional path prefix. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tsproxy::aws {

struct endpoint_url {
  bool tls = true;
  std::string host;  // without brackets
  std::uint16_t port = 443;
  std::string path = "/";   // the request path: "/" or the URL's own path
  std::string host_header;  // the Host value: host, [v6] in brackets, ":port" unless the scheme's default
};

// nullopt for anything else (another scheme, user info, a query or fragment, an empty host, a bad port).
std::optional<endpoint_url> parse_endpoint_url(std::string_view url);

// https://<service>.<region>.amazonaws.com, the regional endpoint AWS's SDKs use by default.
std::string regional_endpoint(std::string_view service, std::string_view region);

}  // namespace tsproxy::aws
