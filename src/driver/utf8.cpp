#include "faye/driver/utf8.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FAYE_UTF8_SIMD 1
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

#if defined(FAYE_UTF8_SIMD)

// ---- Vectorized validation ---------------------------------------------------
//
// The lookup-table method of Keiser and Lemire ("Validating UTF-8 in less
// than one instruction per byte", 2021). Every error in UTF-8 shows in a
// pair of adjacent bytes, except a missing or extra third or fourth byte:
// three table lookups, by the high and low nibble of the first byte of each
// pair and the high nibble of the second, give a bit set per kind of error
// that pair could be, and their AND is non-zero only when it is one. The
// third and fourth bytes of a character are then checked apart: they must
// be continuations exactly where a lead byte two or three places before
// says so.
//
// The kinds of error, one bit each (two share bit 6: they never share a
// first byte).
constexpr std::uint8_t kTooShort = 1 << 0;    // lead, then no continuation
constexpr std::uint8_t kTooLong = 1 << 1;     // ASCII, then a continuation
constexpr std::uint8_t kOverlong3 = 1 << 2;   // E0 80..9F
constexpr std::uint8_t kTooLarge = 1 << 3;    // F4 90..BF, F5..FF 90..BF
constexpr std::uint8_t kSurrogate = 1 << 4;   // ED A0..BF
constexpr std::uint8_t kOverlong2 = 1 << 5;   // C0 or C1, then a continuation
constexpr std::uint8_t kTooLarge80 = 1 << 6;  // F5..FF 80..8F
constexpr std::uint8_t kOverlong4 = 1 << 6;   // F0 80..8F
constexpr std::uint8_t kTwoConts = 1 << 7;    // two continuations in a row
// The bits a first byte's low nibble does not narrow down.
constexpr std::uint8_t kCarry = kTooShort | kTooLong | kTwoConts;

// One row per group of entries.
// clang-format off
// Indexed by the high nibble of the first byte of a pair.
alignas(16) constexpr std::uint8_t kFirstHigh[16] = {
    kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong, kTooLong,  // ASCII
    kTwoConts, kTwoConts, kTwoConts, kTwoConts,                                    // 80..BF
    kTooShort | kOverlong2,                                                        // C0..CF
    kTooShort,                                                                     // D0..DF
    kTooShort | kOverlong3 | kSurrogate,                                           // E0..EF
    kTooShort | kTooLarge | kTooLarge80 | kOverlong4,                              // F0..FF
};
// Indexed by the low nibble of the first byte.
alignas(16) constexpr std::uint8_t kFirstLow[16] = {
    kCarry | kOverlong3 | kOverlong2 | kOverlong4,  // x0
    kCarry | kOverlong2,                            // x1
    kCarry,
    kCarry,
    kCarry | kTooLarge,  // x4: F4 is the largest lead, limited to 80..8F
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80 | kSurrogate,  // xD: ED
    kCarry | kTooLarge | kTooLarge80,
    kCarry | kTooLarge | kTooLarge80,
};
// Indexed by the high nibble of the second byte.
alignas(16) constexpr std::uint8_t kSecondHigh[16] = {
    kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort, kTooShort,
    kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge80 | kOverlong4,  // 80..8F
    kTooLong | kOverlong2 | kTwoConts | kOverlong3 | kTooLarge,                 // 90..9F
    kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,                 // A0..AF
    kTooLong | kOverlong2 | kTwoConts | kSurrogate | kTooLarge,                 // B0..BF
    kTooShort, kTooShort, kTooShort, kTooShort,
};
// A block's last three bytes announce a character that continues past it
// when one of them is at least: (these minus one, compared by saturating
// subtraction).
alignas(16) constexpr std::uint8_t kIncompleteMax[16] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0 - 1, 0xE0 - 1, 0xC0 - 1};
// clang-format on

// Both kernels validate whole 64-byte blocks of [p, end), starting on a
// character boundary, and return where the scalar code should resume: past
// the last block, or on the lead byte of a character the last block leaves
// unfinished (which the scalar code then checks whole, or keeps pending).
// `ok` turns false, and the scan stops, at the first block with an error.
constexpr std::size_t kBlock = 64;

const std::uint8_t* resume_point(const std::uint8_t* start, const std::uint8_t* p) {
  if (p == start) return p;
  for (int back = 1; back <= 3; ++back) {
    std::uint8_t byte = p[-back];
    if (byte >= 0xC0) {
      int length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
      return length > back ? p - back : p;
    }
  }
  return p;
}

// Lambdas don't inherit a function's target attribute: the helpers are
// functions of their own, inlined into the kernel.
#define FAYE_AVX2 [[gnu::target("avx2"), gnu::always_inline]] inline
#define FAYE_SSSE3 [[gnu::target("ssse3"), gnu::always_inline]] inline

namespace avx2 {

FAYE_AVX2 __m256i table(const std::uint8_t* t) {
  return _mm256_broadcastsi128_si256(_mm_load_si128(reinterpret_cast<const __m128i*>(t)));
}

FAYE_AVX2 __m256i lookup(const std::uint8_t* t, __m256i nibbles) {
  return _mm256_shuffle_epi8(table(t), nibbles);
}

FAYE_AVX2 __m256i load(const std::uint8_t* at) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
}

// Errors in `input`, given the bytes 1, 2 and 3 places before each of its
// own.
FAYE_AVX2 __m256i check(__m256i input, __m256i prev1, __m256i prev2, __m256i prev3) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  __m256i pair = _mm256_and_si256(
      _mm256_and_si256(lookup(kFirstHigh, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble)),
                       lookup(kFirstLow, _mm256_and_si256(prev1, nibble))),
      lookup(kSecondHigh, _mm256_and_si256(_mm256_srli_epi16(input, 4), nibble)));
  // Where a third or fourth byte must be: there the pair check flagged
  // kTwoConts, and XOR cancels it; anywhere else a flag stays.
  __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8(static_cast<char>(0xE0 - 0x80)));
  __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8(static_cast<char>(0xF0 - 0x80)));
  __m256i must_continue =
      _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(static_cast<char>(0x80)));
  return _mm256_xor_si256(pair, must_continue);
}

// The 32 bytes at `at`, whose preceding 32 bytes are `previous` (the
// kernel's first: nothing before it is ours to read).
FAYE_AVX2 __m256i check_after(__m256i input, __m256i previous) {
  // alignr works within 128-bit lanes: give it the lane before each.
  __m256i before = _mm256_permute2x128_si256(previous, input, 0x21);
  return check(input, _mm256_alignr_epi8(input, before, 15), _mm256_alignr_epi8(input, before, 14),
               _mm256_alignr_epi8(input, before, 13));
}

// The 32 bytes at `at`, reading the three before it from memory: unaligned
// loads cost less than the shuffles that would build them (shuffles all
// compete for one port, and the table lookups need it).
FAYE_AVX2 __m256i check_at(const std::uint8_t* at) {
  return check(load(at), load(at - 1), load(at - 2), load(at - 3));
}

// Non-zero when the last bytes of `input` start a character it cuts short.
FAYE_AVX2 bool unfinished(__m256i input) {
  const __m256i max =
      _mm256_inserti128_si256(_mm256_set1_epi8(static_cast<char>(0xFF)),
                              _mm_load_si128(reinterpret_cast<const __m128i*>(kIncompleteMax)), 1);
  __m256i cut = _mm256_subs_epu8(input, max);
  return !_mm256_testz_si256(cut, cut);
}

[[gnu::target("avx2")]] const std::uint8_t* validate(const std::uint8_t* p, const std::uint8_t* end,
                                                     bool& ok) {
  const std::uint8_t* start = p;
  bool cut_short = false;  // the previous block ends inside a character
  for (; static_cast<std::size_t>(end - p) >= kBlock; p += kBlock) {
    __m256i a = load(p);
    __m256i b = load(p + 32);
    if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0) {
      // All ASCII: valid, unless the character before it was cut short.
      if (cut_short) {
        ok = false;
        return p;
      }
      continue;
    }
    __m256i first = p == start ? check_after(a, _mm256_setzero_si256()) : check_at(p);
    __m256i error = _mm256_or_si256(first, check_at(p + 32));
    if (!_mm256_testz_si256(error, error)) {
      ok = false;
      return p;
    }
    cut_short = unfinished(b);
  }
  return resume_point(start, p);
}

}  // namespace avx2

// AVX-512 (BW): 64 bytes per vector, the same steps. Chosen only on CPUs
// with AVX-512 VBMI as well (Ice Lake and later), where 512-bit integer work
// costs little clock speed; earlier AVX-512 parts use the AVX2 kernel.
namespace avx512 {

#define FAYE_AVX512 [[gnu::target("avx512f,avx512bw"), gnu::always_inline]] inline

FAYE_AVX512 __m512i load(const std::uint8_t* at) {
  return _mm512_loadu_si512(at);
}

FAYE_AVX512 __m512i lookup(const std::uint8_t* t, __m512i nibbles) {
  return _mm512_shuffle_epi8(
      _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i*>(t))), nibbles);
}

FAYE_AVX512 __m512i check(__m512i input, __m512i prev1, __m512i prev2, __m512i prev3) {
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  __m512i pair = _mm512_and_si512(
      _mm512_and_si512(lookup(kFirstHigh, _mm512_and_si512(_mm512_srli_epi16(prev1, 4), nibble)),
                       lookup(kFirstLow, _mm512_and_si512(prev1, nibble))),
      lookup(kSecondHigh, _mm512_and_si512(_mm512_srli_epi16(input, 4), nibble)));
  __m512i third = _mm512_subs_epu8(prev2, _mm512_set1_epi8(static_cast<char>(0xE0 - 0x80)));
  __m512i fourth = _mm512_subs_epu8(prev3, _mm512_set1_epi8(static_cast<char>(0xF0 - 0x80)));
  __m512i must_continue =
      _mm512_and_si512(_mm512_or_si512(third, fourth), _mm512_set1_epi8(static_cast<char>(0x80)));
  return _mm512_xor_si512(pair, must_continue);
}

[[gnu::target("avx512f,avx512bw")]] const std::uint8_t* validate(const std::uint8_t* p,
                                                                 const std::uint8_t* end,
                                                                 bool& ok) {
  // The last three bytes of a block may start a character it cuts short
  // when at least F0, E0, C0 (bytes 61, 62, 63).
  const __m512i incomplete_max =
      _mm512_inserti32x4(_mm512_set1_epi8(static_cast<char>(0xFF)),
                         _mm_load_si128(reinterpret_cast<const __m128i*>(kIncompleteMax)), 3);
  const std::uint8_t* start = p;
  bool cut_short = false;
  for (; static_cast<std::size_t>(end - p) >= kBlock; p += kBlock) {
    __m512i input = load(p);
    if (_mm512_movepi8_mask(input) == 0) {
      if (cut_short) {
        ok = false;
        return p;
      }
      continue;
    }
    __m512i error;
    if (p == start) {
      // Nothing before the first block is ours to read: the lanes before
      // it are masked off, and read as ASCII (zero), as a boundary is.
      error = check(input, _mm512_maskz_loadu_epi8(~__mmask64{1}, p - 1),
                    _mm512_maskz_loadu_epi8(~__mmask64{3}, p - 2),
                    _mm512_maskz_loadu_epi8(~__mmask64{7}, p - 3));
    } else {
      error = check(input, load(p - 1), load(p - 2), load(p - 3));
    }
    if (_mm512_test_epi8_mask(error, error) != 0) {
      ok = false;
      return p;
    }
    cut_short = _mm512_test_epi8_mask(_mm512_subs_epu8(input, incomplete_max),
                                      _mm512_subs_epu8(input, incomplete_max)) != 0;
  }
  return resume_point(start, p);
}

#undef FAYE_AVX512

}  // namespace avx512

namespace ssse3 {

FAYE_SSSE3 __m128i lookup(const std::uint8_t* t, __m128i nibbles) {
  return _mm_shuffle_epi8(_mm_load_si128(reinterpret_cast<const __m128i*>(t)), nibbles);
}

FAYE_SSSE3 __m128i check(__m128i input, __m128i previous) {
  const __m128i nibble = _mm_set1_epi8(0x0F);
  __m128i prev1 = _mm_alignr_epi8(input, previous, 15);
  __m128i prev2 = _mm_alignr_epi8(input, previous, 14);
  __m128i prev3 = _mm_alignr_epi8(input, previous, 13);
  __m128i pair = _mm_and_si128(
      _mm_and_si128(lookup(kFirstHigh, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble)),
                    lookup(kFirstLow, _mm_and_si128(prev1, nibble))),
      lookup(kSecondHigh, _mm_and_si128(_mm_srli_epi16(input, 4), nibble)));
  __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8(static_cast<char>(0xE0 - 0x80)));
  __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(static_cast<char>(0xF0 - 0x80)));
  __m128i must_continue =
      _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
  return _mm_xor_si128(pair, must_continue);
}

FAYE_SSSE3 bool any(__m128i v) {
  return _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())) != 0xFFFF;
}

[[gnu::target("ssse3")]] const std::uint8_t* validate(const std::uint8_t* p,
                                                      const std::uint8_t* end, bool& ok) {
  const __m128i incomplete_max = _mm_load_si128(reinterpret_cast<const __m128i*>(kIncompleteMax));
  const std::uint8_t* start = p;
  __m128i previous = _mm_setzero_si128();
  bool cut_short = false;
  for (; static_cast<std::size_t>(end - p) >= kBlock; p += kBlock) {
    __m128i v[4];
    for (int i = 0; i < 4; ++i) v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p) + i);
    __m128i all = _mm_or_si128(_mm_or_si128(v[0], v[1]), _mm_or_si128(v[2], v[3]));
    if (_mm_movemask_epi8(all) == 0) {
      if (cut_short) {
        ok = false;
        return p;
      }
    } else {
      __m128i error = _mm_or_si128(_mm_or_si128(check(v[0], previous), check(v[1], v[0])),
                                   _mm_or_si128(check(v[2], v[1]), check(v[3], v[2])));
      if (any(error)) {
        ok = false;
        return p;
      }
      cut_short = any(_mm_subs_epu8(v[3], incomplete_max));
    }
    previous = v[3];
  }
  return resume_point(start, p);
}

}  // namespace ssse3

#undef FAYE_AVX2
#undef FAYE_SSSE3

using BlockValidator = const std::uint8_t* (*)(const std::uint8_t*, const std::uint8_t*, bool&);

bool cpu_supports(Utf8Kernel kernel) {
  __builtin_cpu_init();
  switch (kernel) {
    case Utf8Kernel::avx512:
      return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi");
    case Utf8Kernel::avx2:
      return __builtin_cpu_supports("avx2");
    case Utf8Kernel::ssse3:
      return __builtin_cpu_supports("ssse3");
    case Utf8Kernel::scalar:
      break;
  }
  return true;
}

BlockValidator block_validator_for(Utf8Kernel kernel) {
  switch (kernel) {
    case Utf8Kernel::avx512:
      return avx512::validate;
    case Utf8Kernel::avx2:
      return avx2::validate;
    case Utf8Kernel::ssse3:
      return ssse3::validate;
    case Utf8Kernel::scalar:
      break;
  }
  return nullptr;
}

Utf8Kernel best_kernel() {
  for (Utf8Kernel kernel : {Utf8Kernel::avx512, Utf8Kernel::avx2, Utf8Kernel::ssse3}) {
    if (cpu_supports(kernel)) return kernel;
  }
  return Utf8Kernel::scalar;
}

// Chosen once for the CPU. Until this initializer has run (a static
// initializer elsewhere validating text) it is null: the scalar code serves.
BlockValidator block_validator = block_validator_for(best_kernel());

#endif  // FAYE_UTF8_SIMD

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
#if defined(FAYE_UTF8_SIMD)
  // Whole blocks at once; the scalar loop below finishes the tail.
  if (static_cast<std::size_t>(end - p) >= kBlock && block_validator != nullptr) {
    bool ok = true;
    p = block_validator(p, end, ok);
    if (!ok) {
      failed_ = true;
      return false;
    }
  }
#endif
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

bool use_utf8_kernel(Utf8Kernel kernel) {
#if defined(FAYE_UTF8_SIMD)
  if (!cpu_supports(kernel)) return false;
  block_validator = block_validator_for(kernel);
  return true;
#else
  return kernel == Utf8Kernel::scalar;
#endif
}

Utf8Kernel utf8_kernel() {
#if defined(FAYE_UTF8_SIMD)
  if (block_validator == avx512::validate) return Utf8Kernel::avx512;
  if (block_validator == avx2::validate) return Utf8Kernel::avx2;
  if (block_validator == ssse3::validate) return Utf8Kernel::ssse3;
#endif
  return Utf8Kernel::scalar;
}

bool is_valid_utf8(Bytes bytes) {
  Utf8Validator validator;
  return validator.feed(bytes) && validator.complete();
}

}  // namespace faye::driver
