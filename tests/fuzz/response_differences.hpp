#pragma once
// The documented, deliberate differences between tsproxy's response parser and the two oracles
// (README.md, "Differences"). Each is recognised from the input bytes themselves, never from the
// verdicts, so a disagreement on an input without the feature is reported as a finding.

#include <string_view>

#include "framing_verdict.hpp"

namespace tsproxy::fuzz {

enum class oracle { http_parser, beast };

// The name of the documented difference that explains why `ours` and `theirs` (the verdict of `who`)
// disagree on `bytes`, or an empty view when none does.
std::string_view explained_difference(std::string_view bytes, const framing_verdict& ours, oracle who,
                                      const framing_verdict& theirs);

}  // namespace tsproxy::fuzz
