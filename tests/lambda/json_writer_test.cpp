#include "adapter/json_writer.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tsproxy::lambda {
namespace {

std::string json(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  EXPECT_EQ(out.size(), json_string_size(s)) << "json_string_size disagrees for " << out;
  // simdjson tolerates raw control characters inside strings, so check RFC 8259 section 7 directly.
  for (const char c : out)
    EXPECT_GE(static_cast<unsigned char>(c), 0x20) << "unescaped control byte in " << out;
  return out;
}

// Parses a JSON string literal back with simdjson and returns its value.
std::string reparse(std::string_view literal) {
  simdjson::dom::parser parser;
  // Built with append(): GCC 12 at -O3 reports a false -Wrestrict for "literal" + std::string (PR 105651).
  std::string doc = "[";
  doc.append(literal);
  doc.push_back(']');
  simdjson::dom::element root = testing::parse_dom(parser, doc);
  std::string_view s;
  EXPECT_EQ(root.at(0).get(s), simdjson::SUCCESS);
  return std::string(s);
}

TEST(JsonWriter, EscapesQuotesAndBackslash) {
  EXPECT_EQ(json(R"(say "hi" \ bye)"), R"("say \"hi\" \\ bye")");
}

TEST(JsonWriter, EscapesEveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    const std::string in(1, static_cast<char>(c));
    const std::string out = json(in);
    switch (c) {
      case '\b':
        EXPECT_EQ(out, "\"\\b\"");
        break;
      case '\f':
        EXPECT_EQ(out, "\"\\f\"");
        break;
      case '\n':
        EXPECT_EQ(out, "\"\\n\"");
        break;
      case '\r':
        EXPECT_EQ(out, "\"\\r\"");
        break;
      case '\t':
        EXPECT_EQ(out, "\"\\t\"");
        break;
      default: {
        char expected[16];
        std::snprintf(expected, sizeof expected, "\"\\u%04x\"", c);
        EXPECT_EQ(out, expected);
      }
    }
    EXPECT_EQ(reparse(out), in);
  }
  EXPECT_EQ(json(std::string_view("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(json("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
}

TEST(JsonWriter, CopiesUtf8Verbatim) {
  const std::string_view text = "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80";  // é, 中, 😀
  std::string quoted = "\"";
  quoted.append(text);
  quoted.push_back('"');
  EXPECT_EQ(json(text), quoted);
  EXPECT_EQ(reparse(json(text)), text);
}

TEST(JsonWriter, HandlesEscapesAtEveryOffsetOfTheWordScan) {
  // The writer skips 8 clean bytes at a time; put the special byte at every position around word edges.
  for (std::size_t length = 0; length < 40; ++length) {
    for (std::size_t pos = 0; pos < length; ++pos) {
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string in(length, 'a');
        in[pos] = special;
        const std::string out = json(in);
        ASSERT_EQ(reparse(out), in) << "length " << length << " pos " << pos;
      }
    }
  }
}

TEST(JsonWriter, AppendsWithoutClearing) {
  std::string out = "{\"k\":";
  append_json_string(out, "v");
  out.push_back('}');
  EXPECT_EQ(out, R"({"k":"v"})");
}

TEST(JsonWriter, LossyKeepsValidUtf8AndEscapesOtherBytesAsLatin1) {
  std::string out;
  append_json_string_lossy(out, "caf\xc3\xa9");
  EXPECT_EQ(out, "\"caf\xc3\xa9\"");
  out.clear();
  append_json_string_lossy(out, "caf\xe9\"");  // ISO-8859-1 é, not UTF-8
  EXPECT_EQ(out, "\"caf\\u00e9\\\"\"");
  EXPECT_EQ(reparse(out), "caf\xc3\xa9\"");
}

TEST(JsonWriter, LowerCasesNames) {
  std::string out;
  append_json_string_lower(out, "Content-Type");
  EXPECT_EQ(out, "\"content-type\"");
  out.clear();
  append_json_string_lower(out, "X-\"Odd\xff");
  EXPECT_EQ(out, "\"x-\\\"odd\\u00ff\"");
}

TEST(JsonWriter, Numbers) {
  std::string out;
  append_json_int(out, -9223372036854775807LL - 1);
  out.push_back(' ');
  append_json_int(out, 0);
  out.push_back(' ');
  append_json_fixed(out, 12.34567, 3);
  out.push_back(' ');
  append_json_fixed(out, std::numeric_limits<double>::quiet_NaN(), 3);
  out.push_back(' ');
  append_json_fixed(out, std::numeric_limits<double>::infinity(), 3);
  EXPECT_EQ(out, "-9223372036854775808 0 12.346 0.000 0.000");
}

}  // namespace
}  // namespace tsproxy::lambda
