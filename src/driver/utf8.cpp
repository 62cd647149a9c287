#include "faye/driver/utf8.hpp"

#include <cstring>

namespace faye::driver {
namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// Skips ASCII 16 bytes at a time; returns the first position that may hold a
// non-ASCII byte.
const std::uint8_t* skip_ascii(const std::uint8_t* p, const std::uint8_t* end) {
  while (end - p >= 16) {
    std::uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    if ((a | b) & kHighBits) break;
    p += 16;
  }
  return p;
}

}  // namespace

bool Utf8Validator::feed(Bytes bytes) {
  if (failed_) return false;
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* end = p + bytes.size();
  while (p < end) {
    if (pending_ == 0) {
      p = skip_ascii(p, end);
      if (p == end) break;
      std::uint8_t byte = *p++;
      if (byte < 0x80) continue;
      low_ = 0x80;
      high_ = 0xBF;
      if (byte >= 0xC2 && byte <= 0xDF) {
        pending_ = 1;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
        pending_ = 2;
        if (byte == 0xE0) low_ = 0xA0;   // overlong
        if (byte == 0xED) high_ = 0x9F;  // UTF-16 surrogates
      } else if (byte >= 0xF0 && byte <= 0xF4) {
        pending_ = 3;
        if (byte == 0xF0) low_ = 0x90;   // overlong
        if (byte == 0xF4) high_ = 0x8F;  // beyond U+10FFFF
      } else {
        failed_ = true;  // continuation without a lead, C0/C1, F5..FF
        return false;
      }
    } else {
      std::uint8_t byte = *p++;
      if (byte < low_ || byte > high_) {
        failed_ = true;
        return false;
      }
      --pending_;
      low_ = 0x80;
      high_ = 0xBF;
    }
  }
  return true;
}

bool is_valid_utf8(Bytes bytes) {
  Utf8Validator validator;
  return validator.feed(bytes) && validator.complete();
}

}  // namespace faye::driver
