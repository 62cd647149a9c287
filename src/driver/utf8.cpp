#include "faye/driver/utf8.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace faye::driver {
namespace {

// Skips ASCII a block at a time; returns the first position that may hold a
// non-ASCII byte (with SSE2: exactly the first non-ASCII byte, or the start
// of a tail shorter than 16 bytes).
const std::uint8_t* skip_ascii(const std::uint8_t* p, const std::uint8_t* end) {
#if defined(__SSE2__)
  auto load = [](const std::uint8_t* at) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  };
  // 64 bytes per test: two loads a cycle keep up with L1.
  while (end - p >= 64) {
    __m128i any = _mm_or_si128(_mm_or_si128(load(p), load(p + 16)),
                               _mm_or_si128(load(p + 32), load(p + 48)));
    if (_mm_movemask_epi8(any) != 0) break;
    p += 64;
  }
  while (end - p >= 16) {
    // movemask gathers the high bit of each byte: the first set bit is the
    // first non-ASCII byte.
    int high = _mm_movemask_epi8(load(p));
    if (high != 0) return p + __builtin_ctz(static_cast<unsigned>(high));
    p += 16;
  }
#else
  constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
  while (end - p >= 32) {
    std::uint64_t w[4];
    std::memcpy(w, p, 32);
    if ((w[0] | w[1] | w[2] | w[3]) & kHighBits) break;
    p += 32;
  }
  while (end - p >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (w & kHighBits) break;
    p += 8;
  }
#endif
  return p;
}

}  // namespace

bool Utf8Validator::feed(Bytes bytes) {
  if (failed_) return false;
  const std::uint8_t* p = bytes.data();
  const std::uint8_t* end = p + bytes.size();
  // The state lives in locals while scanning: stores to the members could
  // alias the input bytes, which would force a store and reload per byte.
  std::uint8_t pending = pending_;
  std::uint8_t low = low_;
  std::uint8_t high = high_;
  while (p < end) {
    if (pending == 0) {
      p = skip_ascii(p, end);
      if (p == end) break;
      std::uint8_t byte = *p++;
      if (byte < 0x80) continue;
      low = 0x80;
      high = 0xBF;
      if (byte >= 0xC2 && byte <= 0xDF) {
        pending = 1;
      } else if (byte >= 0xE0 && byte <= 0xEF) {
        pending = 2;
        if (byte == 0xE0) low = 0xA0;   // overlong
        if (byte == 0xED) high = 0x9F;  // UTF-16 surrogates
      } else if (byte >= 0xF0 && byte <= 0xF4) {
        pending = 3;
        if (byte == 0xF0) low = 0x90;   // overlong
        if (byte == 0xF4) high = 0x8F;  // beyond U+10FFFF
      } else {
        failed_ = true;  // continuation without a lead, C0/C1, F5..FF
        return false;
      }
    } else {
      std::uint8_t byte = *p++;
      if (byte < low || byte > high) {
        failed_ = true;
        return false;
      }
      --pending;
      low = 0x80;
      high = 0xBF;
    }
  }
  pending_ = pending;
  low_ = low;
  high_ = high;
  return true;
}

bool is_valid_utf8(Bytes bytes) {
  Utf8Validator validator;
  return validator.feed(bytes) && validator.complete();
}

}  // namespace faye::driver
