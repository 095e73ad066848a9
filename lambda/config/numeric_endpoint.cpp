#include "config/numeric_endpoint.hpp"

#include <string>

#include "tsproxy/engine/engine_config.hpp"

namespace tsproxy::lambda {

bool parse_numeric_endpoint(std::string_view text, asio::ip::tcp::endpoint& out) {
  std::string host;
  std::uint16_t port = 0;
  if (!parse_host_port(text, host, port)) return false;
  if (host == "localhost") host = "127.0.0.1";
  asio::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return false;
  out = {address, port};
  return true;
}

}  // namespace tsproxy::lambda
