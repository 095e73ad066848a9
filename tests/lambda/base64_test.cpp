#include "adapter/base64.hpp"

#include <gtest/gtest.h>

#include <random>

#include "test_support.hpp"

namespace tsproxy::lambda {
namespace {

TEST(Base64, Rfc4648TestVectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    std::string decoded = "garbage that must be replaced";
    ASSERT_TRUE(base64_decode(encoded, decoded)) << encoded;
    EXPECT_EQ(decoded, plain);
  }
}

TEST(Base64, UsesStandardAlphabetForHighBits) {
  EXPECT_EQ(base64_encode(std::string("\xfb\xff\xbf", 3)), "+/+/");
  std::string out;
  ASSERT_TRUE(base64_decode("+/+/", out));
  EXPECT_EQ(out, std::string("\xfb\xff\xbf", 3));
}

TEST(Base64, RoundTripsEveryByteValue) {
  const std::string bytes = testing::all_byte_values();
  const std::string encoded = base64_encode(bytes);
  EXPECT_EQ(encoded.size(), base64_encoded_size(256));
  std::string decoded;
  ASSERT_TRUE(base64_decode(encoded, decoded));
  EXPECT_EQ(decoded, bytes);
  // Each single byte value on its own (exercises the two-pad tail for all 256 values).
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    ASSERT_TRUE(base64_decode(base64_encode(one), decoded)) << b;
    EXPECT_EQ(decoded, one);
  }
}

TEST(Base64, RoundTripsRandomLengths) {
  std::mt19937 rng(20240312);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string decoded;
  for (std::size_t n = 0; n <= 1000; ++n) {
    std::string bytes(n, '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng));
    const std::string encoded = base64_encode(bytes);
    ASSERT_EQ(encoded.size(), base64_encoded_size(n));
    ASSERT_TRUE(base64_decode(encoded, decoded)) << n;
    ASSERT_EQ(decoded, bytes) << n;
  }
}

TEST(Base64, PiecewiseEncodingEqualsTheWholeEncodingForEverySplit) {
  std::mt19937 rng(7);
  std::string bytes(64, '\0');
  for (auto& c : bytes) c = static_cast<char>(rng());
  for (std::size_t length = 0; length <= bytes.size(); ++length) {
    const std::string_view whole(bytes.data(), length);
    // Pieces of 0, 1, 2, ... bytes, cycling, so every carry (0, 1 or 2 bytes) meets every piece size.
    for (std::size_t first = 0; first < 5; ++first) {
      base64_piecewise_encoder encoder;
      std::string out = "kept";
      std::size_t at = 0;
      for (std::size_t size = first; at < length; size = (size + 1) % 5) {
        const std::size_t n = std::min(size, length - at);
        encoder.append(out, whole.substr(at, n));
        at += n;
      }
      encoder.finish(out);
      EXPECT_EQ(out, "kept" + base64_encode(whole)) << "length " << length << ", first piece " << first;
    }
  }
}

TEST(Base64, AppendKeepsExistingContent) {
  std::string out = "prefix:";
  base64_encode_append(out, "foobar");
  base64_encode_append(out, "f");
  EXPECT_EQ(out, "prefix:Zm9vYmFyZg==");
}

TEST(Base64, RejectsInvalidInput) {
  std::string out;
  for (std::string_view bad : {
           "Zg",                    // missing padding
           "Zg=",                   // incomplete padding
           "Zm9vY",                 // length not a multiple of 4
           "Zm9v\n",                // whitespace
           "Zm 9v",                 // whitespace inside
           "Zm9-",                  // URL-safe alphabet
           "Zm9_",                  // URL-safe alphabet
           "Z===",                  // too much padding
           "====",                  // only padding
           "Zg==Zg==",              // padding in the middle
           "Z=g=",                  // padding not at the end
           "Zh==",                  // non-zero bits under the padding (canonical is Zg==)
           "Zm9=",                  // non-zero bits under the padding (canonical is Zm8=)
           "Zm9v\x80\x80\x80\x80",  // non-ASCII
       }) {
    EXPECT_FALSE(base64_decode(bad, out)) << bad;
  }
  EXPECT_FALSE(base64_decode(std::string_view("Zm\0v", 4), out));
}

TEST(Base64, RejectsEveryNonAlphabetByteInEveryPosition) {
  const std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    if (alphabet.find(c) != std::string_view::npos) continue;
    for (std::size_t pos = 0; pos < 8; ++pos) {
      std::string input = "Zm9vYmFy";
      input[pos] = c;
      EXPECT_FALSE(base64_decode(input, out)) << "byte " << b << " at " << pos;
    }
  }
}

}  // namespace
}  // namespace tsproxy::lambda
