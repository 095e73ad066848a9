// The JSON and text the extension reads from outside: Extensions API events, tailscaled's LocalAPI
// status (with its peers, as a diagnosis reads it) and ping results, Secrets Manager's GetSecretValue answers
// (the first input byte picks the status class) and the secret's own forms. Every document is either read or
// refused; the secret never appears in an error message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "aws/secrets_manager_request.hpp"
#include "common/tailscale_local_api.hpp"
#include "extension/extension_event.hpp"
#include "extension/tailscale_secret.hpp"
#include "fuzz_input.hpp"
#include "runtime/tailscale_status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tsproxy::fuzz::require;
  if (size == 0) return 0;
  const std::uint8_t selector = data[0];
  std::string padded(tsproxy::fuzz::as_text(data + 1, size - 1));
  padded.append(64, '\0');  // simdjson's padding after the bytes
  const std::string_view json(padded.data(), size - 1);

  if (const auto event = tsproxy::extension::parse_extension_event(json))
    require(event->deadline_epoch_ms >= 0 || event->type == tsproxy::extension::event_type::shutdown ||
                event->type == tsproxy::extension::event_type::invoke,
            "an event of no known type");
  const auto status = tsproxy::lambda::parse_tailscale_status(json);
  const auto state = tsproxy::lambda::listener_state_from_status(json);
  require(status.has_value() == (state != tsproxy::listener_state::unknown),
          "status and listener state disagree on whether this is a status");
  // The runtime's diagnosis reads the same status with its peers, and ping results. It reads more of the
  // document (Self, Peer), so it may refuse one whose basics are readable, never the other way round.
  if (const auto full = tsproxy::lambda::parse_tailscale_full_status(json)) {
    require(status.has_value(), "a status with peers whose basics are not a status");
    require(full->basics.backend_state == status->backend_state, "two readings of one BackendState");
  }
  if (const auto pong = tsproxy::lambda::parse_tailscale_ping(json))
    require(pong->derp_region_code.size() <= json.size(), "a ping result longer than its document");

  const int http_status = (selector & 1) ? 200 : 400;
  const std::vector<tsproxy::header_field> headers;
  const auto answer = tsproxy::aws::parse_get_secret_value_response(http_status, headers, json, "the-secret");
  if (!answer.ok()) require(answer.message.size() <= 2048, "an error message without a bound");

  std::string error;
  const auto secret_text = json.substr(0, std::min(json.size(), tsproxy::extension::max_secret_bytes));
  if (const auto credential = tsproxy::extension::parse_tailscale_secret(secret_text, error)) {
    require(!credential->value.empty(), "an accepted secret carries no key");
  } else if (secret_text.find("tskey-") != std::string_view::npos) {  // a key, which must never be echoed
    require(error.find(secret_text) == std::string::npos, "the secret appears in its error message");
  }
  return 0;
}
