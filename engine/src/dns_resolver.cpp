#include "tsproxy/engine/dns_resolver.hpp"

#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>
#include <fstream>
#include <random>

#include "tsproxy/engine/resolv_conf.hpp"
#include "tsproxy/engine/tcp_connect.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

namespace {

using udp = asio::ip::udp;
using tcp = asio::ip::tcp;

constexpr std::size_t receive_buffer = 65535;  // a server may ignore the 512-byte rule; read it all
constexpr std::size_t max_resolv_conf_bytes = 64 * 1024;

struct question {
  dns_record_type type;
  std::uint16_t id;
  std::string query;
  bool answered = false;
  std::error_code result;
  dns_answer answer;
};

std::uint16_t random_id() {
  // Unpredictable ids make forged answers harder to slip in.
  static thread_local std::mt19937 generator(std::random_device{}());
  return static_cast<std::uint16_t>(generator());
}

std::string lower_name(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

bool is_localhost(std::string_view host) {
  auto name = lower_name(host);
  if (!name.empty() && name.back() == '.') name.pop_back();
  constexpr std::string_view suffix = ".localhost";
  return name == "localhost" || (name.size() > suffix.size() &&
                                 name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0);
}

std::vector<udp::endpoint> servers_of(const dns_settings& settings) {
  if (!settings.servers.empty()) return settings.servers;
  std::ifstream in(settings.resolv_conf, std::ios::binary);
  if (!in) return {};
  std::string text(max_resolv_conf_bytes, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  std::vector<udp::endpoint> servers;
  for (const auto& address : parse_resolv_conf(text)) servers.emplace_back(address, settings.port);
  return servers;
}

// Sends every question to `server` and reads answers until each is answered (or the caller's bound
// cancels the wait). Datagrams from elsewhere or with unknown ids are dropped.
asio::awaitable<std::error_code> ask_udp(udp::endpoint server, std::string_view name,
                                         std::vector<question>& questions) {
  udp::socket socket(co_await asio::this_coro::executor);
  std::error_code ec;
  socket.open(server.protocol(), ec);
  // connect() makes the kernel drop datagrams from any other address and port.
  if (!ec) socket.connect(server, ec);
  if (ec) co_return ec;
  for (const auto& q : questions) {
    if (auto [send_ec, n] = co_await socket.async_send(asio::buffer(q.query), use_tuple); send_ec)
      co_return send_ec;
  }
  std::string buffer(receive_buffer, '\0');
  std::size_t pending = questions.size();
  while (pending > 0) {
    auto [receive_ec, n] = co_await socket.async_receive(asio::buffer(buffer), use_tuple);
    // A refused port shows as ECONNREFUSED on a connected UDP socket: this server is not there.
    if (receive_ec) co_return receive_ec;
    const std::string_view message(buffer.data(), n);
    if (n < 2) continue;
    const std::uint16_t id = static_cast<std::uint16_t>((static_cast<unsigned char>(message[0]) << 8) |
                                                        static_cast<unsigned char>(message[1]));
    for (auto& q : questions) {
      if (q.answered || q.id != id) continue;
      const auto result = parse_dns_response(message, q.id, name, q.type, q.answer);
      if (result == dns_error::bad_response) break;  // maybe forged or stale; keep waiting for the real one
      q.answered = true;
      q.result = result;
      --pending;
      break;
    }
  }
  co_return std::error_code{};
}

// Re-asks a truncated question over TCP, where each message is preceded by its length in two bytes
// (RFC 1035 section 4.2.2).
asio::awaitable<std::error_code> ask_again_over_tcp(tcp::endpoint server, std::string_view name,
                                                    question& q) {
  std::string reply;
  tcp::socket socket(co_await asio::this_coro::executor);
  if (auto ec = co_await connect_tcp(socket, server)) co_return ec;
  const std::array<char, 2> length{static_cast<char>(q.query.size() >> 8),
                                   static_cast<char>(q.query.size() & 0xff)};
  const std::array<asio::const_buffer, 2> request{asio::buffer(length), asio::buffer(q.query)};
  if (auto [ec, n] = co_await asio::async_write(socket, request, use_tuple); ec) co_return ec;
  std::array<unsigned char, 2> size{};
  if (auto [ec, n] = co_await asio::async_read(socket, asio::buffer(size), use_tuple); ec) co_return ec;
  reply.resize(static_cast<std::size_t>((size[0] << 8) | size[1]));
  if (auto [ec, n] = co_await asio::async_read(socket, asio::buffer(reply), use_tuple); ec) co_return ec;
  q.result = parse_dns_response(reply, q.id, name, q.type, q.answer);
  if (!q.result && q.answer.truncated) q.result = make_error_code(dns_error::bad_response);
  co_return std::error_code{};
}

bool is_final(std::error_code ec) {
  return !ec || ec == dns_error::name_not_found || ec == dns_error::no_address;
}

}  // namespace

asio::awaitable<std::error_code> resolve_host(std::string_view host, const dns_settings& settings,
                                              time_point deadline, std::vector<asio::ip::address>& out) {
  out.clear();
  std::string_view literal = host;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']')
    literal = literal.substr(1, literal.size() - 2);
  asio::error_code parse_ec;
  const auto address = asio::ip::make_address(std::string(literal), parse_ec);
  if (!parse_ec) {
    out.push_back(address);
    co_return std::error_code{};
  }
  if (is_localhost(host)) {
    out.emplace_back(asio::ip::address_v4::loopback());
    if (settings.ipv6) out.emplace_back(asio::ip::address_v6::loopback());
    co_return std::error_code{};
  }
  const auto servers = servers_of(settings);
  if (servers.empty()) co_return make_error_code(dns_error::no_servers);

  std::error_code last = make_error_code(dns_error::timeout);
  for (int round = 0; round < settings.attempts; ++round) {
    for (const auto& server : servers) {
      if (steady_clock::now() >= deadline) co_return make_error_code(dns_error::timeout);
      std::vector<question> questions;
      for (auto type : {dns_record_type::a, dns_record_type::aaaa}) {
        if (type == dns_record_type::aaaa && !settings.ipv6) continue;
        question q{type, random_id(), {}};
        if (auto ec = build_dns_query(host, q.id, type, q.query)) co_return ec;
        questions.push_back(std::move(q));
      }
      const auto until = std::min(deadline, steady_clock::now() + settings.attempt_timeout);
      const phase_bound bound{until, engine_error::request_deadline};
      co_await within(bound, ask_udp(server, host, questions));
      for (auto& q : questions) {
        if (q.answered && !q.result && q.answer.truncated) {
          q.result = make_error_code(dns_error::server_failure);  // unless TCP gets the whole answer
          co_await within(bound, ask_again_over_tcp(tcp::endpoint(server.address(), server.port()), host, q));
        }
      }
      // Addresses from either question are enough; otherwise a final answer to every question ends the
      // search.
      bool all_final = true;
      std::error_code failure;
      for (const auto& q : questions) {
        if (!q.answered) {
          all_final = false;
          failure = make_error_code(dns_error::timeout);
          continue;
        }
        if (!q.result) {
          for (const auto& a : q.answer.addresses) out.push_back(a);
        } else if (!is_final(q.result)) {
          all_final = false;
          failure = q.result;
        } else if (!failure || failure == dns_error::no_address) {
          failure = q.result;
        }
      }
      if (!out.empty()) co_return std::error_code{};
      if (all_final) co_return failure ? failure : make_error_code(dns_error::no_address);
      last = failure;
    }
  }
  co_return last;
}

}  // namespace tsproxy
