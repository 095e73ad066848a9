#pragma once
// Identifiers Lambda hands out: request ids (UUID v4), X-Ray trace ids, Function URL ids.
// Not cryptographic: they only need to be unique on one machine.

#include <cstdint>
#include <random>
#include <string>

namespace tsproxy::local {

class id_generator {
 public:
  id_generator();
  // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case hex.
  std::string uuid_v4();
  // "Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=0".
  std::string trace_id(std::int64_t epoch_seconds);
  // `count` characters of [a-z0-9], like a Function URL id.
  std::string url_id(std::size_t count = 32);
  // `count` lower-case hex digits.
  std::string hex(std::size_t count);

 private:
  std::mt19937_64 random_;
};

}  // namespace tsproxy::local
