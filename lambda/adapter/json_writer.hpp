#pragma once
// Appending JSON writer helpers for the payloads tsproxy emits (Lambda responses, EMF lines). Output is
// built in a caller-owned std::string so a runtime loop can reuse one buffer and its capacity.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tsproxy::lambda {

// Appends `s` as a JSON string literal, quotes included, escaped per RFC 8259: '"' and '\' get a backslash,
// the control characters U+0000..U+001F are written as \b \f \n \r \t or \u00XX. Everything else, including
// multi-byte UTF-8 sequences and DEL, is copied verbatim.
// Precondition: `s` is valid UTF-8 (otherwise the output is not valid JSON); use append_json_string_lossy
// for bytes of unknown encoding.
void append_json_string(std::string& out, std::string_view s);

// The exact number of bytes append_json_string(out, s) appends, for size limits and single-allocation
// reserves.
std::size_t json_string_size(std::string_view s) noexcept;

// Like append_json_string for valid UTF-8. For other bytes (HTTP obs-text, which RFC 9110 historically
// reads as ISO-8859-1) every byte >= 0x80 is written as \u00XX, so the JSON stays valid even though such
// bytes cannot survive the round trip unchanged. Meant for header values, never for bodies.
void append_json_string_lossy(std::string& out, std::string_view s);

// Appends `s` lower-cased (ASCII letters only) as a JSON string; bytes >= 0x80 become \u00XX as in
// append_json_string_lossy. Meant for header names, which Lambda expects in lower case.
void append_json_string_lower(std::string& out, std::string_view s);

// Appends a JSON integer.
void append_json_int(std::string& out, std::int64_t value);

// Appends a JSON number with at most `decimals` fraction digits (fixed notation). NaN and infinities have no
// JSON form and are written as 0.
void append_json_fixed(std::string& out, double value, int decimals);

}  // namespace tsproxy::lambda
