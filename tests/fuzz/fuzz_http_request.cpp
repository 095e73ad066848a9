// Request heads and bodies as tsproxy-local's Function URL listener reads them from callers: the same
// parser in request mode. The outcome must not depend on where the reads were cut, and what it accepts
// must be a head that can be written again without injecting anything.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "fuzz_input.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_parser.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace {

struct outcome {
  std::string error;
  std::string method, target, body;
  std::size_t fields = 0;
  bool done = false;
  bool keep_alive = false;
  bool operator==(const outcome&) const = default;
};

outcome read_request(std::string_view bytes, std::size_t piece) {
  using tsproxy::http_parser;
  http_parser parser(http_parser::kind::request, tsproxy::http_limits{});
  outcome out;
  std::string held;
  std::size_t fed = 0;
  for (;;) {
    std::error_code ec;
    const auto step = parser.parse(held, ec);
    if (ec) {
      out.error = tsproxy::error_name(ec);
      return out;
    }
    if (step.what == http_parser::event::body) out.body.append(step.body);  // a view into `held`
    held.erase(0, step.consumed);
    if (step.what == http_parser::event::head) {
      const auto& head = parser.request();
      out.method = head.method;
      out.target = head.target;
      out.fields = head.headers.size();
      out.keep_alive = parser.keep_alive();
      tsproxy::fuzz::require(tsproxy::is_token(head.method), "an accepted method is not a token");
      tsproxy::fuzz::require(
          tsproxy::fuzz::no_line_break_or_nul(head.target) && head.target.find(' ') == std::string::npos,
          "an accepted request target holds a line break or a space");
      for (const auto& f : head.headers) {
        tsproxy::fuzz::require(tsproxy::is_token(f.name), "an accepted field name is not a token");
        tsproxy::fuzz::require(tsproxy::fuzz::no_line_break_or_nul(f.value),
                               "an accepted field value holds CR, LF or NUL");
      }
    }
    if (step.what == http_parser::event::done) {
      out.done = true;
      return out;
    }
    if (step.what != http_parser::event::need_more) continue;
    if (fed == bytes.size()) {
      const auto eof = parser.finish_eof();
      out.error = eof ? tsproxy::error_name(eof) : "";
      out.done = parser.complete();
      return out;
    }
    const auto n = std::min(piece, bytes.size() - fed);
    held.append(bytes.substr(fed, n));
    fed += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = tsproxy::fuzz::as_text(data, size);
  const auto whole = read_request(bytes, bytes.size() + 1);
  if (size > 1) {
    const std::size_t piece = 1 + std::hash<std::string_view>{}(bytes) % (size - 1);
    tsproxy::fuzz::require(read_request(bytes, piece) == whole,
                           "the outcome depends on where reads were cut");
  }
  if (size <= 512)
    tsproxy::fuzz::require(read_request(bytes, 1) == whole, "the outcome depends on reading byte by byte");
  return 0;
}
