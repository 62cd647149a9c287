// RFC 6455 5.2 frame headers: encoding, decoding and payload masking.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "faye/bytes.hpp"

namespace faye::driver {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

inline constexpr std::uint8_t kFin = 0x80;
inline constexpr std::uint8_t kRsv1 = 0x40;
inline constexpr std::uint8_t kRsv2 = 0x20;
inline constexpr std::uint8_t kRsv3 = 0x10;
inline constexpr std::size_t kMaxHeaderSize = 14;
inline constexpr std::size_t kMaxControlPayload = 125;  // RFC 6455 5.5

using MaskKey = std::array<std::uint8_t, 4>;

constexpr bool is_control(std::uint8_t opcode) { return (opcode & 0x8) != 0; }
constexpr bool is_known_opcode(std::uint8_t opcode) {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

struct FrameHeader {
  bool fin = true;
  std::uint8_t rsv = 0;  // the RSV1..3 bits in place (kRsv1 | kRsv2 | kRsv3)
  std::uint8_t opcode = 0;
  bool masked = false;
  MaskKey mask{};
  std::uint64_t length = 0;
};

// Total header size announced by the first two bytes: 2, 4 or 10, plus 4
// when masked.
constexpr std::size_t header_size(std::uint8_t byte0, std::uint8_t byte1) {
  (void)byte0;
  std::size_t size = 2;
  std::uint8_t len7 = byte1 & 0x7F;
  if (len7 == 126) size += 2;
  if (len7 == 127) size += 8;
  if (byte1 & 0x80) size += 4;
  return size;
}

// Decodes a complete header (header_size() bytes at `p`). False when the
// 64-bit length has its most significant bit set (RFC 6455 5.2). Inline, as
// encode_header: a few instructions, on the path of every frame.
inline bool decode_header(const std::uint8_t* p, FrameHeader& header) {
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

// The size encode_header() writes for `header`.
constexpr std::size_t encoded_header_size(const FrameHeader& header) {
  const std::size_t length_bytes = header.length < 126 ? 0 : header.length <= 0xFFFF ? 2 : 8;
  return 2 + length_bytes + (header.masked ? 4 : 0);
}

// Writes a header into `out` (at least kMaxHeaderSize bytes) and returns its
// size. Uses the shortest length encoding, as RFC 6455 5.2 requires.
inline std::size_t encode_header(std::uint8_t* out, const FrameHeader& header) {
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

// XORs `data` with the mask key, `offset` being the position of data[0]
// within the frame's payload (so a payload can be unmasked piecewise).
void mask_in_place(MutableBytes data, const MaskKey& key, std::uint64_t offset = 0);
namespace detail {
// The 4-byte key rotated so that byte 0 lines up with `offset`, repeated to
// fill a machine word (little- or big-endian alike: the bytes are placed,
// not the value).
inline std::uint64_t word_key(const MaskKey& key, std::uint64_t offset) {
  std::uint8_t bytes[8];
  std::memcpy(bytes, key.data(), 4);
  std::memcpy(bytes + 4, key.data(), 4);
  std::uint32_t rotated;
  std::memcpy(&rotated, bytes + (offset & 3), 4);
  return (std::uint64_t{rotated} << 32) | rotated;
}
}  // namespace detail

// Unmasks a whole payload (offset 0) and tells whether every byte is ASCII:
// a text message's UTF-8 check then costs nothing beyond the unmasking pass.
// Inline: it runs once per small text message, where a call costs as much.
inline bool unmask_is_ascii(MutableBytes data, const MaskKey& key) {
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
  const std::uint64_t k8 = detail::word_key(key, 0);  // i is a multiple of 4 here
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
// Masks `src` into `dst` (same size, may not overlap partially).
void mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t size, const MaskKey& key,
               std::uint64_t offset = 0);

}  // namespace faye::driver
