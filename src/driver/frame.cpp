#include "faye/driver/frame.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace faye::driver {
namespace {

// The 4-byte key rotated so that byte 0 lines up with `offset`, repeated
// to fill a machine word (little- or big-endian alike: the bytes are placed,
// not the value).
std::uint64_t word_key(const MaskKey& key, std::uint64_t offset) {
  std::uint8_t bytes[8];
  std::memcpy(bytes, key.data(), 4);
  std::memcpy(bytes + 4, key.data(), 4);
  std::uint32_t rotated;
  std::memcpy(&rotated, bytes + (offset & 3), 4);
  return (std::uint64_t{rotated} << 32) | rotated;
}

}  // namespace

void mask_in_place(MutableBytes data, const MaskKey& key, std::uint64_t offset) {
  mask_copy(data.data(), data.data(), data.size(), key, offset);
}

bool unmask_is_ascii(MutableBytes data, const MaskKey& key) {
  std::uint8_t* p = data.data();
  const std::size_t size = data.size();
  std::size_t i = 0;
  bool ascii = true;
#if defined(__SSE2__)
  // 16 bytes per step: one XOR, and an OR gathering the high bits that a
  // single movemask reads at the end.
  std::uint32_t key32;
  std::memcpy(&key32, key.data(), 4);
  const __m128i k = _mm_set1_epi32(static_cast<int>(key32));
  __m128i seen = _mm_setzero_si128();
  for (; i + 16 <= size; i += 16) {
    auto* at = reinterpret_cast<__m128i*>(p + i);
    const __m128i word = _mm_xor_si128(_mm_loadu_si128(at), k);
    seen = _mm_or_si128(seen, word);
    _mm_storeu_si128(at, word);
  }
  ascii = _mm_movemask_epi8(seen) == 0;
#endif
  constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
  const std::uint64_t k8 = word_key(key, 0);  // i is a multiple of 4 here
  std::uint64_t seen8 = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= k8;
    seen8 |= w;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < size; ++i) {
    p[i] ^= key[i & 3];
    seen8 |= p[i];
  }
  return ascii && (seen8 & kHighBits) == 0;
}

void mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t size, const MaskKey& key,
               std::uint64_t offset) {
  std::size_t i = 0;
  if (size >= 8) {
    // A word at a time (8 is a multiple of the key's 4, so one rotated word
    // serves every position); eight independent words per iteration, which
    // compilers turn into SIMD loads, XORs and stores. memcpy keeps unaligned
    // access well-defined and lets dst == src.
    const std::uint64_t k = word_key(key, offset);
    for (; i + 64 <= size; i += 64) {
      std::uint64_t w[8];
      std::memcpy(w, src + i, 64);
      for (std::uint64_t& word : w) word ^= k;
      std::memcpy(dst + i, w, 64);
    }
    for (; i + 8 <= size; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, src + i, 8);
      w ^= k;
      std::memcpy(dst + i, &w, 8);
    }
  }
  for (; i < size; ++i) dst[i] = src[i] ^ key[(offset + i) & 3];
}

}  // namespace faye::driver
