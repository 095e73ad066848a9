// The SOCKS5 server's answers (RFC 1928 method selection, RFC 1929 status, the CONNECT reply), as
// the listener sends them. The first byte picks the answer. A parser must never read past what it was
// given, must need more bytes on every proper prefix of what it consumes, and must give the same result
// on the bytes it consumed alone.
#include <cstddef>
#include <cstdint>

#include "fuzz_input.hpp"
#include "tsproxy/engine/socks5_codec.hpp"

namespace {

using tsproxy::socks5::parse_result;

parse_result parse(std::uint8_t which, std::string_view in) {
  namespace s5 = tsproxy::socks5;
  switch (which % 3) {
    case 0: {
      s5::method chosen{};
      return s5::parse_method_selection(in, chosen);
    }
    case 1:
      return s5::parse_password_auth_reply(in);
    default:
      return s5::parse_connect_reply(in);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tsproxy::fuzz::require;
  if (size == 0) return 0;
  const auto which = data[0];
  const auto in = tsproxy::fuzz::as_text(data + 1, size - 1);
  const auto result = parse(which, in);
  require(result.consumed <= in.size(), "consumed more bytes than it was given");
  if (result.need_more()) {
    for (std::size_t n = 0; n < in.size(); ++n)
      require(parse(which, in.substr(0, n)).need_more(), "a prefix of too-short bytes was decided");
    return 0;
  }
  if (result.error) return 0;
  for (std::size_t n = 0; n < result.consumed; ++n)
    require(parse(which, in.substr(0, n)).need_more(), "a proper prefix of a complete reply was decided");
  const auto alone = parse(which, in.substr(0, result.consumed));
  require(alone.consumed == result.consumed && alone.error == result.error,
          "the reply parses differently without the bytes after it");
  return 0;
}
