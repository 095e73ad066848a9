#include <string>
#include <system_error>

#include "framing_verdict.hpp"
#include "support/printable.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_parser.hpp"

namespace tsproxy::fuzz {

framing_verdict tsproxy_verdict(std::string_view bytes, std::size_t split, bool byte_by_byte) {
  framing_verdict out;
  http_parser parser(http_parser::kind::response, http_limits{});
  std::string held;  // received and not yet consumed
  std::size_t fed = 0;
  const auto next_read = [&]() -> std::size_t {
    if (byte_by_byte) return 1;
    if (split != 0 && fed < split) return split - fed;
    return bytes.size() - fed;
  };
  for (;;) {
    std::error_code ec;
    const auto step = parser.parse(held, ec);
    if (ec) {
      out.error = error_name(ec);
      return out;
    }
    if (step.what == http_parser::event::body) out.body.append(step.body);
    held.erase(0, step.consumed);
    if (step.what == http_parser::event::done) break;
    if (step.what != http_parser::event::need_more) continue;
    if (fed == bytes.size()) {
      if (const auto eof = parser.finish_eof()) {
        out.error = error_name(eof);
        return out;
      }
      if (parser.complete()) break;
      continue;
    }
    const auto n = next_read();
    held.append(bytes.substr(fed, n));
    fed += n;
  }
  out.complete = true;
  out.status = parser.response().status;
  out.keep_alive = parser.keep_alive();
  return out;
}

std::string describe(const framing_verdict& v) {
  if (!v.complete) return "refused (" + v.error + ")";
  return "status " + std::to_string(v.status) + ", " + std::to_string(v.body.size()) + " body bytes \"" +
         testing::printable(v.body, 40) + "\", " + (v.keep_alive ? "keep-alive" : "close");
}

}  // namespace tsproxy::fuzz
