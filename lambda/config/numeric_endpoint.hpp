#pragma once
// host:port endpoints of the sandbox's own services (AWS_LAMBDA_RUNTIME_API, tailscaled's SOCKS5
// listener). Executables are linked fully static, where name resolution (NSS) is unavailable: the host
// is an IP literal ([v6] in brackets) or `localhost`, which means 127.0.0.1 as tailscaled listens there.

#include <asio/ip/tcp.hpp>
#include <string_view>

namespace tsproxy::lambda {

bool parse_numeric_endpoint(std::string_view text, asio::ip::tcp::endpoint& out);

}  // namespace tsproxy::lambda
