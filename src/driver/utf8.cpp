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
    __m128i any =
        _mm_or_si128(_mm_or_si128(load(p), load(p + 16)), _mm_or_si128(load(p + 32), load(p + 48)));
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

// What a lead byte announces: the continuation bytes that follow (0 for a
// byte that cannot start a character: a continuation, C0/C1, F5..FF) and the
// range the first of them must fall in, narrower after E0, ED, F0 and F4 so
// that overlong forms, surrogates and code points past U+10FFFF are refused.
struct Lead {
  std::uint8_t pending;
  std::uint8_t low;
  std::uint8_t high;
};

Lead classify(std::uint8_t byte) {
  if (byte >= 0xC2 && byte <= 0xDF) return {1, 0x80, 0xBF};
  if (byte >= 0xE0 && byte <= 0xEF) {
    return {2, std::uint8_t(byte == 0xE0 ? 0xA0 : 0x80), std::uint8_t(byte == 0xED ? 0x9F : 0xBF)};
  }
  if (byte >= 0xF0 && byte <= 0xF4) {
    return {3, std::uint8_t(byte == 0xF0 ? 0x90 : 0x80), std::uint8_t(byte == 0xF4 ? 0x8F : 0xBF)};
  }
  return {0, 0, 0};
}

bool is_continuation(std::uint8_t byte) {
  return (byte & 0xC0) == 0x80;
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
  // A character begun in an earlier piece, a byte at a time.
  while (pending > 0 && p < end) {
    std::uint8_t byte = *p++;
    if (byte < low || byte > high) {
      failed_ = true;
      return false;
    }
    --pending;
    low = 0x80;
    high = 0xBF;
  }
  while (p < end) {
    if (*p < 0x80) {
      p = skip_ascii(p, end);
      if (p == end) break;
      if (*p < 0x80) {
        ++p;
        continue;
      }
    }
    Lead lead = classify(*p++);
    if (lead.pending == 0) {
      failed_ = true;
      return false;
    }
    if (end - p < lead.pending) {
      // The character continues in the next piece: check what is here.
      pending = lead.pending;
      low = lead.low;
      high = lead.high;
      while (p < end) {
        std::uint8_t byte = *p++;
        if (byte < low || byte > high) {
          failed_ = true;
          return false;
        }
        --pending;
        low = 0x80;
        high = 0xBF;
      }
      break;
    }
    // The whole character is here: check it at once.
    bool valid = p[0] >= lead.low && p[0] <= lead.high;
    if (lead.pending >= 2) valid &= is_continuation(p[1]);
    if (lead.pending == 3) valid &= is_continuation(p[2]);
    if (!valid) {
      failed_ = true;
      return false;
    }
    p += lead.pending;
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
