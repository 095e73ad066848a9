// socks5 codec: builders checked byte for byte, parsers fed every prefix of every reply.
#include "tsproxy/engine/socks5_codec.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>

#include "tsproxy/engine/errors.hpp"

namespace tsproxy::socks5 {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (const int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string hex(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    out += digits[c >> 4];
    out += digits[c & 0xf];
    out += ' ';
  }
  return out;
}

std::error_code code(engine_error e) {
  return make_error_code(e);
}

// ---- builders ------------------------------------------------------------------------------------

TEST(Socks5Greeting, OffersNoAuthentication) {
  std::string out;
  append_greeting(out, false);
  EXPECT_EQ(hex(out), hex(bytes({0x05, 0x01, 0x00})));
}

TEST(Socks5Greeting, OffersPasswordAsWell) {
  std::string out = "prefix";
  append_greeting(out, true);
  EXPECT_EQ(hex(out), hex("prefix" + bytes({0x05, 0x02, 0x00, 0x02}))) << "builders append";
}

TEST(Socks5Connect, Ipv4Literal) {
  std::string out;
  ASSERT_FALSE(append_connect(out, "100.64.0.1", 443));
  EXPECT_EQ(hex(out), hex(bytes({0x05, 0x01, 0x00, 0x01, 100, 64, 0, 1, 0x01, 0xbb})));
}

TEST(Socks5Connect, Ipv6Literal) {
  std::string out;
  ASSERT_FALSE(append_connect(out, "fd7a:115c:a1e0::1", 8080));
  EXPECT_EQ(hex(out), hex(bytes({0x05, 0x01, 0x00, 0x04, 0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0,
                                 0,    0,    0,    0,    0,    0,    0,    0,    0x01, 0x1f, 0x90})));
}

TEST(Socks5Connect, Ipv6Loopback) {
  std::string out;
  ASSERT_FALSE(append_connect(out, "::1", 1));
  EXPECT_EQ(hex(out),
            hex(bytes({0x05, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x00, 0x01})));
}

TEST(Socks5Connect, DomainNameIsSentForTheServerToResolve) {
  std::string out;
  ASSERT_FALSE(append_connect(out, "machine.tailnet.ts.net", 80));
  const std::string name = "machine.tailnet.ts.net";
  EXPECT_EQ(hex(out),
            hex(bytes({0x05, 0x01, 0x00, 0x03, static_cast<int>(name.size())}) + name + bytes({0x00, 0x50})));
}

TEST(Socks5Connect, NumericLookingNamesThatAreNotLiteralsAreDomains) {
  // Not a dotted quad: must not be reinterpreted as an IPv4 address.
  for (const std::string_view host : {"1.2.3", "256.1.1.1", "1.2.3.4.5"}) {
    std::string out;
    ASSERT_FALSE(append_connect(out, host, 80)) << host;
    ASSERT_GE(out.size(), 5u);
    EXPECT_EQ(out[3], 0x03) << host;
    EXPECT_EQ(static_cast<std::size_t>(static_cast<unsigned char>(out[4])), host.size()) << host;
  }
}

TEST(Socks5Connect, PortIsBigEndian) {
  std::string out;
  ASSERT_FALSE(append_connect(out, "10.0.0.1", 65535));
  EXPECT_EQ(hex(out.substr(out.size() - 2)), hex(bytes({0xff, 0xff})));
  out.clear();
  ASSERT_FALSE(append_connect(out, "10.0.0.1", 258));
  EXPECT_EQ(hex(out.substr(out.size() - 2)), hex(bytes({0x01, 0x02})));
}

TEST(Socks5Connect, DomainLengthLimits) {
  const std::string longest(255, 'a');
  std::string out;
  ASSERT_FALSE(append_connect(out, longest, 443));
  ASSERT_EQ(out.size(), 4u + 1 + 255 + 2);
  EXPECT_EQ(static_cast<unsigned char>(out[4]), 255);
  EXPECT_EQ(out.substr(5, 255), longest);

  std::string rejected;
  EXPECT_EQ(append_connect(rejected, std::string(256, 'a'), 443), code(engine_error::socks5_bad_address));
  EXPECT_EQ(append_connect(rejected, "", 443), code(engine_error::socks5_bad_address));
}

TEST(Socks5PasswordAuth, Encoding) {
  std::string out;
  ASSERT_FALSE(append_password_auth(out, "user", "secret"));
  EXPECT_EQ(hex(out), hex(bytes({0x01, 4}) + "user" + bytes({6}) + "secret"));

  out.clear();
  ASSERT_FALSE(append_password_auth(out, "u", ""));
  EXPECT_EQ(hex(out), hex(bytes({0x01, 1, 'u', 0})));
}

TEST(Socks5PasswordAuth, Limits) {
  const std::string max(255, 'x');
  std::string out;
  ASSERT_FALSE(append_password_auth(out, max, max));
  EXPECT_EQ(out.size(), 3u + 255 + 255);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 255);
  EXPECT_EQ(static_cast<unsigned char>(out[2 + 255]), 255);

  const std::string too_long(256, 'x');
  std::string rejected = "keep";
  EXPECT_EQ(append_password_auth(rejected, too_long, "p"), code(engine_error::socks5_bad_address));
  EXPECT_EQ(append_password_auth(rejected, "u", too_long), code(engine_error::socks5_bad_address));
  EXPECT_EQ(append_password_auth(rejected, "", "p"), code(engine_error::socks5_bad_address));
  EXPECT_EQ(rejected, "keep") << "a refused field appends nothing";
}

// ---- parsers -------------------------------------------------------------------------------------

TEST(Socks5MethodSelection, NeedsTwoBytes) {
  method chosen = method::no_acceptable;
  EXPECT_TRUE(parse_method_selection("", chosen).need_more());
  EXPECT_TRUE(parse_method_selection(bytes({0x05}), chosen).need_more());
}

TEST(Socks5MethodSelection, AcceptedMethods) {
  method chosen = method::no_acceptable;
  auto r = parse_method_selection(bytes({0x05, 0x00}), chosen);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_EQ(chosen, method::none);

  // Trailing bytes (a pipelined CONNECT reply) are not consumed.
  r = parse_method_selection(bytes({0x05, 0x02, 0x05, 0x00}), chosen);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_EQ(chosen, method::username_password);
}

TEST(Socks5MethodSelection, RefusedAndUnknownMethods) {
  for (const int m : {0xff, 0x01, 0x03, 0x80}) {
    method chosen = method::none;
    const auto r = parse_method_selection(bytes({0x05, m}), chosen);
    EXPECT_EQ(r.error, code(engine_error::socks5_no_acceptable_method)) << m;
    EXPECT_FALSE(r.need_more());
  }
}

TEST(Socks5MethodSelection, BadVersion) {
  method chosen = method::none;
  for (const int v : {0x04, 0x00, 0x01}) {
    EXPECT_EQ(parse_method_selection(bytes({v, 0x00}), chosen).error, code(engine_error::socks5_bad_version))
        << v;
  }
}

TEST(Socks5PasswordAuthReply, SuccessFailureAndVersion) {
  EXPECT_TRUE(parse_password_auth_reply("").need_more());
  EXPECT_TRUE(parse_password_auth_reply(bytes({0x01})).need_more());

  auto r = parse_password_auth_reply(bytes({0x01, 0x00, 0x05}));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, 2u);

  for (const int status : {0x01, 0x02, 0xff}) {
    EXPECT_EQ(parse_password_auth_reply(bytes({0x01, status})).error, code(engine_error::socks5_auth_failed))
        << status;
  }
  // The sub-negotiation version is 0x01, not the SOCKS version.
  EXPECT_EQ(parse_password_auth_reply(bytes({0x05, 0x00})).error, code(engine_error::socks5_bad_version));
}

struct reply_code_case {
  int code;
  engine_error error;
};

constexpr reply_code_case reply_codes[] = {
    {0x01, engine_error::socks5_general_failure},
    {0x02, engine_error::socks5_not_allowed},
    {0x03, engine_error::socks5_network_unreachable},
    {0x04, engine_error::socks5_host_unreachable},
    {0x05, engine_error::socks5_connection_refused},
    {0x06, engine_error::socks5_ttl_expired},
    {0x07, engine_error::socks5_command_not_supported},
    {0x08, engine_error::socks5_address_type_not_supported},
    {0x09, engine_error::socks5_unknown_reply},
    {0xff, engine_error::socks5_unknown_reply},
};

TEST(Socks5ReplyCode, MapsEveryCode) {
  EXPECT_FALSE(reply_code_error(0x00));
  for (const auto& c : reply_codes) {
    EXPECT_EQ(reply_code_error(static_cast<std::uint8_t>(c.code)), code(c.error)) << c.code;
  }
}

TEST(Socks5ConnectReply, FailureCodesAreReportedAsSoonAsTheCodeArrives) {
  for (const auto& c : reply_codes) {
    SCOPED_TRACE(c.code);
    const std::string reply = bytes({0x05, c.code, 0x00, 0x01, 0, 0, 0, 0, 0, 0});
    EXPECT_TRUE(parse_connect_reply(reply.substr(0, 1)).need_more());
    for (std::size_t n = 2; n <= reply.size(); ++n) {
      const auto r = parse_connect_reply(reply.substr(0, n));
      EXPECT_EQ(r.error, code(c.error)) << n << " bytes";
      EXPECT_EQ(r.consumed, 0u);
    }
  }
}

// A success reply is consumed exactly once it is whole, at whatever point the bytes were cut, and the
// tunnel's first bytes behind it stay unconsumed.
void expect_reply_consumed_exactly(const std::string& reply) {
  SCOPED_TRACE(hex(reply));
  for (std::size_t n = 0; n < reply.size(); ++n) {
    const auto r = parse_connect_reply(reply.substr(0, n));
    EXPECT_TRUE(r.need_more()) << n << " bytes: consumed " << r.consumed << ", " << r.error.message();
  }
  for (const std::string& tail : {std::string(), std::string("HTTP/1.1 200 OK\r\n"), bytes({0x05, 0x00})}) {
    const auto r = parse_connect_reply(reply + tail);
    EXPECT_FALSE(r.error) << r.error.message();
    EXPECT_EQ(r.consumed, reply.size());
  }
}

TEST(Socks5ConnectReply, Ipv4BoundAddress) {
  expect_reply_consumed_exactly(bytes({0x05, 0x00, 0x00, 0x01, 100, 64, 0, 1, 0x04, 0x38}));
}

TEST(Socks5ConnectReply, Ipv6BoundAddress) {
  expect_reply_consumed_exactly(bytes({0x05, 0x00, 0x00, 0x04, 0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0,
                                       0,    0,    0,    0,    0,    0,    0,    0,    1,    0x1f, 0x90}));
}

TEST(Socks5ConnectReply, DomainBoundAddress) {
  expect_reply_consumed_exactly(bytes({0x05, 0x00, 0x00, 0x03, 11}) + "example.com" + bytes({0x00, 0x50}));
  expect_reply_consumed_exactly(bytes({0x05, 0x00, 0x00, 0x03, 0, 0x00, 0x50}));  // empty name
  expect_reply_consumed_exactly(bytes({0x05, 0x00, 0x00, 0x03, 255}) + std::string(255, 'n') +
                                bytes({0x00, 0x50}));
}

TEST(Socks5ConnectReply, UnknownAddressType) {
  for (const int atyp : {0x00, 0x02, 0x05}) {
    const auto r = parse_connect_reply(bytes({0x05, 0x00, 0x00, atyp, 0, 0, 0, 0, 0, 0}));
    EXPECT_EQ(r.error, code(engine_error::socks5_address_type_not_supported)) << atyp;
  }
}

TEST(Socks5ConnectReply, BadVersion) {
  EXPECT_EQ(parse_connect_reply(bytes({0x04})).error, code(engine_error::socks5_bad_version));
  EXPECT_EQ(parse_connect_reply(bytes({0x04, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0})).error,
            code(engine_error::socks5_bad_version));
  // An HTTP server listening where the SOCKS5 listener was expected.
  EXPECT_EQ(parse_connect_reply("HTTP/1.1 400 Bad Request\r\n").error,
            code(engine_error::socks5_bad_version));
}

}  // namespace
}  // namespace tsproxy::socks5
