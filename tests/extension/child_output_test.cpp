// A child's output cut into log lines, fed at every split: lines are whole, the secret never shows, long
// lines are bounded, and the tail keeps the end.

#include "extension/child_output.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tsproxy::extension {
namespace {

struct collected {
  std::vector<std::string> lines;
  std::string tail;
};

collected feed_in_pieces(std::string_view secret, std::string_view bytes, std::size_t split_a,
                         std::size_t split_b) {
  collected out;
  output_lines lines(std::string(secret), [&](std::string_view line) { out.lines.emplace_back(line); });
  lines.feed(bytes.substr(0, split_a));
  lines.feed(bytes.substr(split_a, split_b - split_a));
  lines.feed(bytes.substr(split_b));
  lines.finish();
  out.tail = lines.tail();
  return out;
}

TEST(ChildOutput, LinesAreWholeAndTheSecretIsRedactedAtEverySplit) {
  const std::string secret = "tskey-auth-SECRET";
  const std::string bytes =
      "starting\r\nusing tskey-auth-SECRET now\nbackend error: invalid key\nno newline at end";
  for (std::size_t a = 0; a <= bytes.size(); ++a) {
    for (std::size_t b = a; b <= bytes.size(); ++b) {
      const auto out = feed_in_pieces(secret, bytes, a, b);
      ASSERT_EQ(out.lines, (std::vector<std::string>{"starting", "using <redacted> now",
                                                     "backend error: invalid key", "no newline at end"}))
          << a << "," << b;
    }
  }
}

TEST(ChildOutput, ALongLineIsCutWithoutLeakingTheSecretAcrossTheCut) {
  const std::string secret = "tskey-auth-SECRET";
  for (std::size_t at : {output_lines::max_line_bytes - 5, output_lines::max_line_bytes - 1,
                         output_lines::max_line_bytes, output_lines::max_line_bytes + 3}) {
    std::string line(at, 'x');
    line += secret + std::string(3 * output_lines::max_line_bytes, 'y') + "\n";
    std::vector<std::string> lines;
    output_lines splitter(secret, [&](std::string_view l) { lines.emplace_back(l); });
    for (std::size_t i = 0; i < line.size(); i += 1000) splitter.feed(std::string_view(line).substr(i, 1000));
    splitter.finish();
    ASSERT_GT(lines.size(), 1u);
    std::string joined;
    for (const auto& l : lines) {
      EXPECT_LE(l.size(), output_lines::max_line_bytes);
      EXPECT_EQ(l.find("SECRET"), std::string::npos) << at;
      EXPECT_EQ(l.find("tskey"), std::string::npos) << "no half of the secret either, at " << at;
      joined += l;
    }
    EXPECT_NE(joined.find("<redacted>"), std::string::npos);
  }
}

TEST(ChildOutput, TheTailKeepsTheLastLines) {
  std::string bytes;
  for (int i = 0; i < 200; ++i) bytes += "line number " + std::to_string(i) + "\n";
  const auto out = feed_in_pieces("", bytes, 7, 300);
  EXPECT_LE(out.tail.size(), output_lines::max_tail_bytes);
  EXPECT_TRUE(out.tail.ends_with("line number 199")) << out.tail;
  EXPECT_TRUE(out.tail.starts_with("line number ")) << "cut at a line boundary: " << out.tail.substr(0, 20);
  EXPECT_EQ(feed_in_pieces("", "a\n\nb\n", 1, 2).tail, "a; b");
}

TEST(ChildOutput, ASecretLearnedLaterIsRedactedFromThenOn) {
  std::vector<std::string> lines;
  output_lines splitter("", [&](std::string_view l) { lines.emplace_back(l); });
  splitter.feed("before tskey-auth-LATE\nduring tskey-au");
  splitter.redact("tskey-auth-LATE");
  splitter.feed("th-LATE\n");
  EXPECT_EQ(lines, (std::vector<std::string>{"before tskey-auth-LATE", "during <redacted>"}));
}

TEST(ChildOutput, Redaction) {
  EXPECT_EQ(redacted("k k kk", "k"), "<redacted> <redacted> <redacted><redacted>");
  EXPECT_EQ(redacted("nothing here", ""), "nothing here");
}

}  // namespace
}  // namespace tsproxy::extension
