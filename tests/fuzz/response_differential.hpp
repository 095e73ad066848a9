#pragma once
// The check both response fuzzers run on each input: tsproxy's verdict must not depend on how the bytes
// were cut into reads, and must equal each oracle's unless a documented difference explains it.

#include <string_view>

namespace tsproxy::fuzz {

// Aborts (a libFuzzer finding) with a report when a check fails.
void check_response_framing(std::string_view bytes);

}  // namespace tsproxy::fuzz
