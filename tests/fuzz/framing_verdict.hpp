#pragma once
// What a parser decided about the first final response in a byte stream that ends where the bytes end:
// refused or complete, and then its status, its (de-chunked) body and whether the connection may carry
// another response. The response fuzzers compare tsproxy's http_parser with two independent parsers on
// exactly these decisions: they are what a proxy's framing, and so its safety against smuggling, rests on.

#include <string>
#include <string_view>

namespace tsproxy::fuzz {

struct framing_verdict {
  bool complete = false;  // a final response was read to its end; false: refused or truncated
  int status = 0;         // of the final response (interim 1xx responses are skipped)
  std::string body;       // every body byte, de-chunked
  bool keep_alive = false;
  std::string error;  // the parser's own name for why it refused (empty when complete)

  bool same_framing(const framing_verdict& other) const {
    return complete == other.complete && status == other.status && body == other.body &&
           keep_alive == other.keep_alive;
  }
};

// tsproxy's http_parser, fed the way http_reader feeds it: unconsumed bytes are passed again with the
// next piece appended. `split` cuts the bytes into two reads there (0 = one read); `byte_by_byte` feeds
// them one byte per read.
framing_verdict tsproxy_verdict(std::string_view bytes, std::size_t split = 0, bool byte_by_byte = false);

// Debian's libhttp-parser 2.9 (Node.js's parser before llhttp), strict mode, default limits.
framing_verdict http_parser_verdict(std::string_view bytes);

// Boost.Beast's response_parser (Boost 1.74) with tsproxy's head limit and no body limit.
framing_verdict beast_verdict(std::string_view bytes);

// Printable form of a verdict, for the report of a disagreement.
std::string describe(const framing_verdict& v);

}  // namespace tsproxy::fuzz
