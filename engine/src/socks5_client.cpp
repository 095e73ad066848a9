#include "tsproxy/engine/socks5_client.hpp"

#include <array>
#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/socks5_codec.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

namespace {

// Reads until `parse` accepts the bytes, never past the end of the message it parses: each read
// asks for the fewest bytes that could complete the reply.
template <typename Parse>
asio::awaitable<std::error_code> read_reply(asio::ip::tcp::socket& socket, std::size_t first_read,
                                            Parse parse) {
  std::array<char, 4 + 1 + 255 + 2> buffer{};  // the largest CONNECT reply
  std::size_t have = 0;
  std::size_t want = first_read;
  for (;;) {
    auto [ec, n] =
        co_await asio::async_read(socket, asio::buffer(buffer.data() + have, want - have), use_tuple);
    if (ec) co_return ec == asio::error::eof ? std::error_code(engine_error::connection_closed) : ec;
    have += n;
    const socks5::parse_result r = parse(std::string_view(buffer.data(), have));
    if (r.error) co_return r.error;
    if (!r.need_more()) co_return std::error_code{};
    // The CONNECT reply's length is known once its address type (and domain length) arrived.
    want = have < 5 ? 5 : have + 1;
    if (have >= 5) {
      const auto atyp = static_cast<std::uint8_t>(buffer[3]);
      const std::size_t address = atyp == 0x01   ? 4
                                  : atyp == 0x04 ? 16
                                                 : 1 + static_cast<std::uint8_t>(buffer[4]);
      want = 4 + address + 2;
    }
    if (want > buffer.size() || want <= have) co_return std::error_code(engine_error::socks5_bad_address);
  }
}

}  // namespace

asio::awaitable<std::error_code> socks5_handshake(asio::ip::tcp::socket& socket,
                                                  const socks5_settings& settings, const std::string& host,
                                                  std::uint16_t port, asio::ip::address* bound) {
  const bool use_password = !settings.username.empty();
  std::string out;
  out.reserve(3 + 4 + 256 + 2);
  socks5::append_greeting(out, use_password);
  std::string connect;
  if (auto ec = socks5::append_connect(connect, host, port)) co_return ec;

  // Optimistic pipelining: the CONNECT rides with the greeting when no authentication can be chosen.
  const bool pipeline = settings.pipeline && !use_password;
  if (pipeline) out += connect;
  if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), use_tuple); ec) co_return ec;

  socks5::method chosen = socks5::method::none;
  if (auto ec = co_await read_reply(
          socket, 2, [&](std::string_view in) { return socks5::parse_method_selection(in, chosen); })) {
    co_return ec;
  }
  if (chosen == socks5::method::username_password) {
    if (!use_password) co_return std::error_code(engine_error::socks5_no_acceptable_method);
    out.clear();
    if (auto ec = socks5::append_password_auth(out, settings.username, settings.password)) co_return ec;
    if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), use_tuple); ec) co_return ec;
    if (auto ec = co_await read_reply(socket, 2, socks5::parse_password_auth_reply)) co_return ec;
  }
  if (!pipeline) {
    if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(connect), use_tuple); ec) co_return ec;
  }
  co_return co_await read_reply(socket, 5, [bound](std::string_view in) {
    const auto r = socks5::parse_connect_reply(in);
    if (bound != nullptr && r.consumed > 0) *bound = socks5::connect_reply_bound_address(in);
    return r;
  });
}

}  // namespace tsproxy
