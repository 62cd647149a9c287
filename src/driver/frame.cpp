#include "faye/driver/frame.hpp"

#include <cstring>

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
  constexpr std::uint64_t kHighBits = 0x8080808080808080ull;
  std::uint8_t* p = data.data();
  const std::size_t size = data.size();
  const std::uint64_t k = word_key(key, 0);
  std::uint64_t seen = 0;  // the OR of every unmasked byte
  std::size_t i = 0;
  for (; i + 32 <= size; i += 32) {
    std::uint64_t w[4];
    std::memcpy(w, p + i, 32);
    for (std::uint64_t& word : w) {
      word ^= k;
      seen |= word;
    }
    std::memcpy(p + i, w, 32);
  }
  for (; i + 8 <= size; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    w ^= k;
    seen |= w;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < size; ++i) {
    p[i] ^= key[i & 3];
    seen |= p[i];
  }
  return (seen & kHighBits) == 0;
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
