#include "ids.hpp"

namespace tsproxy::local {

namespace {
constexpr char hex_digits[] = "0123456789abcdef";
}

id_generator::id_generator() : random_(std::random_device{}()) {}

std::string id_generator::hex(std::size_t count) {
  std::string out;
  out.reserve(count);
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (i % 16 == 0) bits = random_();
    out.push_back(hex_digits[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

std::string id_generator::uuid_v4() {
  std::string h = hex(32);
  h[12] = '4';                                // version
  h[16] = hex_digits[8 + (random_() & 0x3)];  // variant 10xx
  return h.substr(0, 8) + '-' + h.substr(8, 4) + '-' + h.substr(12, 4) + '-' + h.substr(16, 4) + '-' +
         h.substr(20);
}

std::string id_generator::trace_id(std::int64_t epoch_seconds) {
  std::string seconds(8, '0');
  auto value = static_cast<std::uint64_t>(epoch_seconds);
  for (int i = 7; i >= 0; --i, value >>= 4) seconds[static_cast<std::size_t>(i)] = hex_digits[value & 0xf];
  return "Root=1-" + seconds + '-' + hex(24) + ";Parent=" + hex(16) + ";Sampled=0";
}

std::string id_generator::url_id(std::size_t count) {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(alphabet[random_() % (sizeof alphabet - 1)]);
  return out;
}

}  // namespace tsproxy::local
