#include "response_differential.hpp"

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "framing_verdict.hpp"
#include "response_differences.hpp"
#include "support/printable.hpp"

namespace tsproxy::fuzz {

namespace {

[[noreturn]] void report(std::string_view what, std::string_view bytes, const framing_verdict& ours,
                         std::string_view other_name, const framing_verdict& other) {
  std::fprintf(stderr, "\n%.*s\n  input:    \"%s\"\n  tsproxy:  %s\n  %-9.*s %s\n",
               static_cast<int>(what.size()), what.data(), testing::printable(bytes, 600).c_str(),
               describe(ours).c_str(), static_cast<int>(other_name.size()), other_name.data(),
               describe(other).c_str());
  std::abort();
}

void compare(std::string_view bytes, const framing_verdict& ours, oracle who, const framing_verdict& theirs) {
  const std::string_view name = who == oracle::http_parser ? "http-parser:" : "beast:";
  if (ours.same_framing(theirs)) return;
  if (!ours.complete && !theirs.complete) return;  // both refuse, each for its own reason
  if (explained_difference(bytes, ours, who, theirs).empty())
    report("undocumented disagreement", bytes, ours, name, theirs);
}

}  // namespace

void check_response_framing(std::string_view bytes) {
  const auto ours = tsproxy_verdict(bytes);

  // The network may cut the stream anywhere: one cut chosen from the bytes, and one byte per read for
  // inputs short enough to keep the run fast.
  if (bytes.size() > 1) {
    const std::size_t split = 1 + std::hash<std::string_view>{}(bytes) % (bytes.size() - 1);
    const auto cut = tsproxy_verdict(bytes, split);
    if (!cut.same_framing(ours) || cut.error != ours.error)
      report("the verdict depends on where the reads were cut (" + std::to_string(split) + ")", bytes, ours,
             "cut:", cut);
  }
  if (bytes.size() <= 512) {
    const auto bytewise = tsproxy_verdict(bytes, 0, true);
    if (!bytewise.same_framing(ours) || bytewise.error != ours.error)
      report("the verdict depends on reading one byte at a time", bytes, ours, "bytewise:", bytewise);
  }

  compare(bytes, ours, oracle::http_parser, http_parser_verdict(bytes));
  compare(bytes, ours, oracle::beast, beast_verdict(bytes));
}

}  // namespace tsproxy::fuzz
