// RFC 6455 5.2 frame headers: encoding, decoding and payload masking.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

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
// Unmasks a whole payload (offset 0) and tells whether every byte is ASCII:
// a text message's UTF-8 check then costs nothing beyond the unmasking pass.
bool unmask_is_ascii(MutableBytes data, const MaskKey& key);
// Masks `src` into `dst` (same size, may not overlap partially).
void mask_copy(std::uint8_t* dst, const std::uint8_t* src, std::size_t size, const MaskKey& key,
               std::uint64_t offset = 0);

}  // namespace faye::driver
