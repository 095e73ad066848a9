// TSPROXY_ALLOWED_TARGETS as an operator writes it. The input is the list, a NUL, then a target
// "host:port". A list that parses has an entry; a name entry admits its name in any letter case; an
// entry never admits a port it does not name.
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapter/allow_list.hpp"
#include "adapter/target_address.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tsproxy::fuzz::require;
  namespace lambda = tsproxy::lambda;
  const auto input = tsproxy::fuzz::as_text(data, size);
  const auto nul = input.find('\0');
  const auto spec = input.substr(0, nul);
  std::string error;
  const auto list = lambda::allow_list::parse(spec, error);
  if (!list) {
    require(!error.empty() && error.find('\n') == std::string::npos, "a refused list has no one-line reason");
    return 0;
  }
  require(list->size() > 0, "an accepted list has no entry");
  if (nul == std::string_view::npos) return 0;

  const auto target_text = input.substr(nul + 1);
  const auto colon = target_text.rfind(':');
  if (colon == std::string_view::npos) return 0;
  tsproxy::upstream_target target;
  if (!lambda::canonical_host(lambda::strip_brackets(target_text.substr(0, colon)), target.host)) return 0;
  if (!lambda::parse_port(target_text.substr(colon + 1), target.port)) return 0;
  const bool allowed = list->allows(target);
  if (list->names_sandbox_target(target)) require(allowed, "a list names a sandbox target it does not admit");
  // Letter case never matters to a name.
  std::string upper = target.host;
  for (auto& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
  tsproxy::upstream_target upper_target = target;
  upper_target.host = upper;
  if (!tsproxy::is_ip_literal(target.host))
    require(list->allows(upper_target) == allowed, "letter case changed the verdict for a name");
  return 0;
}
