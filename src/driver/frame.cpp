#include "faye/driver/frame.hpp"

#include <cstring>

namespace faye::driver {

void mask_in_place(MutableBytes data, const MaskKey& key, std::uint64_t offset) {
  mask_copy(data.data(), data.data(), data.size(), key, offset);
}

void mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t size, const MaskKey& key,
               std::uint64_t offset) {
  std::size_t i = 0;
  if (size >= 8) {
    // A word at a time (8 is a multiple of the key's 4, so one rotated word
    // serves every position); eight independent words per iteration, which
    // compilers turn into SIMD loads, XORs and stores. memcpy keeps unaligned
    // access well-defined and lets dst == src.
    const std::uint64_t k = detail::word_key(key, offset);
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
