#include "faye/driver/frame.hpp"

#include <cstring>

namespace faye::driver {
namespace {

// The 4-byte key rotated so that byte 0 lines up with `offset`, repeated
// to fill a machine word.
std::uint64_t word_key(const MaskKey& key, std::uint64_t offset) {
  std::uint8_t bytes[8];
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = key[(offset + i) & 3];
  std::uint64_t word;
  std::memcpy(&word, bytes, 8);
  return word;
}

}  // namespace

bool decode_header(const std::uint8_t* p, FrameHeader& header) {
  header.fin = (p[0] & kFin) != 0;
  header.rsv = p[0] & (kRsv1 | kRsv2 | kRsv3);
  header.opcode = p[0] & 0x0F;
  header.masked = (p[1] & 0x80) != 0;
  std::uint8_t len7 = p[1] & 0x7F;
  p += 2;
  if (len7 < 126) {
    header.length = len7;
  } else if (len7 == 126) {
    header.length = (std::uint64_t{p[0]} << 8) | p[1];
    p += 2;
  } else {
    std::uint64_t length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | p[i];
    p += 8;
    if (length >> 63) return false;
    header.length = length;
  }
  if (header.masked) std::memcpy(header.mask.data(), p, 4);
  return true;
}

std::size_t encode_header(std::uint8_t* out, const FrameHeader& header) {
  std::uint8_t* p = out;
  *p++ = static_cast<std::uint8_t>((header.fin ? kFin : 0) | header.rsv | (header.opcode & 0x0F));
  std::uint8_t mask_bit = header.masked ? 0x80 : 0;
  if (header.length < 126) {
    *p++ = static_cast<std::uint8_t>(mask_bit | header.length);
  } else if (header.length <= 0xFFFF) {
    *p++ = mask_bit | 126;
    *p++ = static_cast<std::uint8_t>(header.length >> 8);
    *p++ = static_cast<std::uint8_t>(header.length);
  } else {
    *p++ = mask_bit | 127;
    for (int shift = 56; shift >= 0; shift -= 8) {
      *p++ = static_cast<std::uint8_t>(header.length >> shift);
    }
  }
  if (header.masked) {
    std::memcpy(p, header.mask.data(), 4);
    p += 4;
  }
  return static_cast<std::size_t>(p - out);
}

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
