// DNS query and answer codec, byte by byte (RFC 1035 section 4).

#include "tsproxy/engine/dns_message.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tsproxy {
namespace {

using namespace std::string_literals;

std::string u16(std::uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}

std::string u32(std::uint32_t v) {
  return u16(static_cast<std::uint16_t>(v >> 16)) + u16(static_cast<std::uint16_t>(v & 0xffff));
}

std::string wire_name(std::string_view dotted) {
  std::string out;
  std::size_t begin = 0;
  while (begin < dotted.size()) {
    auto end = dotted.find('.', begin);
    if (end == std::string_view::npos) end = dotted.size();
    out += static_cast<char>(end - begin);
    out.append(dotted.substr(begin, end - begin));
    begin = end + 1;
  }
  return out + '\0';
}

std::string pointer(std::uint16_t offset) {
  return u16(static_cast<std::uint16_t>(0xc000 | offset));
}

// A response header: id, flags (QR, RD, RA plus `extra`), one question, `answers` answers.
std::string header(std::uint16_t id, std::uint16_t answers, std::uint16_t extra = 0) {
  return u16(id) + u16(static_cast<std::uint16_t>(0x8180 | extra)) + u16(1) + u16(answers) + u16(0) + u16(0);
}

std::string question(std::string_view name, std::uint16_t type) {
  return wire_name(name) + u16(type) + u16(1);
}

std::string record(const std::string& owner, std::uint16_t type, std::uint32_t ttl, const std::string& rdata,
                   std::uint16_t rclass = 1) {
  return owner + u16(type) + u16(rclass) + u32(ttl) + u16(static_cast<std::uint16_t>(rdata.size())) + rdata;
}

constexpr std::uint16_t a = 1, cname = 5, aaaa = 28;
constexpr std::uint16_t question_offset = 12;  // where the question's name starts: pointers name it

TEST(DnsQuery, IsARecursiveQuestionOfClassIn) {
  std::string out;
  ASSERT_FALSE(build_dns_query("Example.COM.", 0x1234, dns_record_type::a, out));
  EXPECT_EQ(out,
            "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"s
            "\x07"
            "example\x03"
            "com\x00\x00\x01\x00\x01"s);
  out.clear();
  ASSERT_FALSE(build_dns_query("a.b", 7, dns_record_type::aaaa, out));
  EXPECT_EQ(out.substr(out.size() - 4), "\x00\x1c\x00\x01"s);
}

TEST(DnsQuery, RefusesNamesThatCannotBeAsked) {
  std::string out;
  for (const std::string& bad : {""s, "."s, "a..b"s, ".a"s, "a b"s, "a/b"s, std::string(64, 'x') + ".com",
                                 std::string(250, 'a') + ".com", "caf\xc3\xa9.com"s}) {
    out.clear();
    EXPECT_EQ(build_dns_query(bad, 1, dns_record_type::a, out), dns_error::invalid_name) << bad;
    EXPECT_TRUE(out.empty());
  }
  EXPECT_FALSE(build_dns_query(std::string(63, 'x') + ".com", 1, dns_record_type::a, out));
  EXPECT_FALSE(build_dns_query("_srv-1.host", 1, dns_record_type::a, out));
}

TEST(DnsAnswer, ReadsAddressesWithCompressedOwnerNames) {
  const auto msg = header(0xbeef, 2) + question("example.com", a) +
                   record(pointer(question_offset), a, 300, "\x5d\xb8\xd8\x22"s) +
                   record(pointer(question_offset), a, 60, "\x0a\x00\x00\x01"s);
  dns_answer answer;
  ASSERT_FALSE(parse_dns_response(msg, 0xbeef, "EXAMPLE.com", dns_record_type::a, answer));
  ASSERT_EQ(answer.addresses.size(), 2u);
  EXPECT_EQ(answer.addresses[0].to_string(), "93.184.216.34");
  EXPECT_EQ(answer.addresses[1].to_string(), "10.0.0.1");
  EXPECT_EQ(answer.ttl, 60u);
  EXPECT_FALSE(answer.truncated);
}

TEST(DnsAnswer, ReadsAaaa) {
  const auto v6 = "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"s;
  const auto msg = header(1, 1) + question("h.test", aaaa) + record(pointer(question_offset), aaaa, 5, v6);
  dns_answer answer;
  ASSERT_FALSE(parse_dns_response(msg, 1, "h.test", dns_record_type::aaaa, answer));
  ASSERT_EQ(answer.addresses.size(), 1u);
  EXPECT_EQ(answer.addresses[0].to_string(), "2001:db8::1");
}

TEST(DnsAnswer, FollowsACnameChain) {
  // www.example.com CNAME edge.example.net; edge.example.net CNAME e1.cdn.test; e1.cdn.test A 192.0.2.7
  const std::string q = question("www.example.com", a);
  const std::uint16_t edge_at = static_cast<std::uint16_t>(12 + q.size() + 2 + 10);  // the first rdata
  auto msg = header(9, 4) + q;
  msg += record(pointer(question_offset), cname, 100, wire_name("edge.example.net"));
  const std::uint16_t e1_at = static_cast<std::uint16_t>(msg.size() + 2 + 10);
  msg += record(pointer(edge_at), cname, 50, wire_name("e1.cdn.test"));
  msg += record(wire_name("unrelated.test"), a, 1, "\x01\x02\x03\x04"s);  // not on the chain: ignored
  msg += record(pointer(e1_at), a, 20, "\xc0\x00\x02\x07"s);
  dns_answer answer;
  ASSERT_FALSE(parse_dns_response(msg, 9, "www.example.com", dns_record_type::a, answer));
  ASSERT_EQ(answer.addresses.size(), 1u);
  EXPECT_EQ(answer.addresses[0].to_string(), "192.0.2.7");
  EXPECT_EQ(answer.ttl, 20u);
}

TEST(DnsAnswer, ReportsRcodesAndEmptyAnswers) {
  dns_answer answer;
  EXPECT_EQ(
      parse_dns_response(header(1, 0, 3) + question("x.test", a), 1, "x.test", dns_record_type::a, answer),
      dns_error::name_not_found);
  for (std::uint16_t rcode : {1, 2, 4, 5}) {
    EXPECT_EQ(parse_dns_response(header(1, 0, rcode) + question("x.test", a), 1, "x.test", dns_record_type::a,
                                 answer),
              dns_error::server_failure)
        << rcode;
  }
  EXPECT_EQ(parse_dns_response(header(1, 0) + question("x.test", a), 1, "x.test", dns_record_type::a, answer),
            dns_error::no_address);
  // Records of another class or type do not count.
  const auto other = header(1, 2) + question("x.test", a) +
                     record(pointer(question_offset), a, 1, "\x01\x02\x03\x04"s, 3) +
                     record(pointer(question_offset), aaaa, 1, std::string(16, '\1'));
  EXPECT_EQ(parse_dns_response(other, 1, "x.test", dns_record_type::a, answer), dns_error::no_address);
}

TEST(DnsAnswer, ReportsTruncationWithoutParsingFurther) {
  dns_answer answer;
  const auto msg = header(4, 5, 0x0200) + "garbage"s;
  ASSERT_FALSE(parse_dns_response(msg, 4, "x.test", dns_record_type::a, answer));
  EXPECT_TRUE(answer.truncated);
  EXPECT_TRUE(answer.addresses.empty());
}

TEST(DnsAnswer, RefusesAnswersToAnotherQuestion) {
  dns_answer answer;
  const auto good =
      header(5, 1) + question("x.test", a) + record(pointer(question_offset), a, 1, "\x01\x02\x03\x04"s);
  ASSERT_FALSE(parse_dns_response(good, 5, "x.test", dns_record_type::a, answer));
  EXPECT_EQ(parse_dns_response(good, 6, "x.test", dns_record_type::a, answer),
            dns_error::bad_response);  // id
  EXPECT_EQ(parse_dns_response(good, 5, "y.test", dns_record_type::a, answer),
            dns_error::bad_response);  // name
  EXPECT_EQ(parse_dns_response(good, 5, "x.test", dns_record_type::aaaa, answer),
            dns_error::bad_response);  // type
  auto query_not_response = good;
  query_not_response[2] = 0x01;  // QR clear
  EXPECT_EQ(parse_dns_response(query_not_response, 5, "x.test", dns_record_type::a, answer),
            dns_error::bad_response);
  auto two_questions = good;
  two_questions[5] = 2;
  EXPECT_EQ(parse_dns_response(two_questions, 5, "x.test", dns_record_type::a, answer),
            dns_error::bad_response);
}

TEST(DnsAnswer, SurvivesEveryTruncationOfAValidMessage) {
  const auto msg = header(5, 2) + question("host.example.test", a) +
                   record(pointer(question_offset), cname, 1, wire_name("b.example.test")) +
                   record(wire_name("b.example.test"), a, 1, "\x01\x02\x03\x04"s);
  dns_answer answer;
  ASSERT_FALSE(parse_dns_response(msg, 5, "host.example.test", dns_record_type::a, answer));
  for (std::size_t n = 0; n < msg.size(); ++n) {
    EXPECT_TRUE(parse_dns_response(msg.substr(0, n), 5, "host.example.test", dns_record_type::a, answer))
        << n;
  }
}

TEST(DnsAnswer, BoundsCompressionPointers) {
  dns_answer answer;
  // A pointer to itself, and one pointing forward.
  auto self = header(1, 1) + question("x.test", a);
  const auto owner_at = static_cast<std::uint16_t>(self.size());
  self += record(pointer(owner_at), a, 1, "\x01\x02\x03\x04"s);
  EXPECT_EQ(parse_dns_response(self, 1, "x.test", dns_record_type::a, answer), dns_error::bad_response);
  auto forward = header(1, 1) + question("x.test", a);
  forward += record(pointer(static_cast<std::uint16_t>(forward.size() + 20)), a, 1, "\x01\x02\x03\x04"s);
  EXPECT_EQ(parse_dns_response(forward, 1, "x.test", dns_record_type::a, answer), dns_error::bad_response);
  // Pointers to pointers: allowed up to dns_max_pointer_jumps, refused beyond. The chain lives in the rdata
  // of a record of another type; the A record's owner name (one more pointer) enters it at its end.
  const auto chained = [](int jumps) {
    auto msg = header(1, 2) + question("x.test", a);
    const auto rdata_at = static_cast<std::uint16_t>(msg.size() + 2 + 10);
    std::string chain = pointer(question_offset);
    for (int i = 1; i < jumps - 1; ++i) chain += pointer(static_cast<std::uint16_t>(rdata_at + 2 * (i - 1)));
    msg += record(pointer(question_offset), 16, 1, chain);
    return msg + record(pointer(static_cast<std::uint16_t>(rdata_at + chain.size() - 2)), a, 1,
                        "\x01\x02\x03\x04"s);
  };
  EXPECT_FALSE(parse_dns_response(chained(dns_max_pointer_jumps), 1, "x.test", dns_record_type::a, answer));
  EXPECT_EQ(parse_dns_response(chained(dns_max_pointer_jumps + 1), 1, "x.test", dns_record_type::a, answer),
            dns_error::bad_response);
  // A CNAME that points back at the name asked.
  const auto loop = header(1, 2) + question("x.test", a) +
                    record(pointer(question_offset), cname, 1, wire_name("y.test")) +
                    record(wire_name("y.test"), cname, 1, wire_name("x.test"));
  EXPECT_EQ(parse_dns_response(loop, 1, "x.test", dns_record_type::a, answer), dns_error::bad_response);
}

TEST(DnsAnswer, RefusesAddressRecordsOfTheWrongSize) {
  dns_answer answer;
  const auto msg =
      header(1, 1) + question("x.test", a) + record(pointer(question_offset), a, 1, "\x01\x02\x03"s);
  EXPECT_EQ(parse_dns_response(msg, 1, "x.test", dns_record_type::a, answer), dns_error::bad_response);
}

TEST(DnsErrors, HaveNamesAndMessages) {
  for (int v = 1; v <= static_cast<int>(dns_error::no_servers); ++v) {
    const auto e = static_cast<dns_error>(v);
    EXPECT_TRUE(dns_error_name(e).starts_with("Dns")) << v;
    EXPECT_NE(make_error_code(e).message(), "unknown DNS error") << v;
  }
}

}  // namespace
}  // namespace tsproxy
