#include "frames.hpp"

#include <stdexcept>

#include <zlib.h>

namespace faye::load {

std::vector<std::uint8_t> make_payload(std::size_t size, bool binary) {
  std::vector<std::uint8_t> payload(size);
  static constexpr char text[] = "The quick brown fox jumps over the lazy dog 0123456789. ";
  for (std::size_t i = 0; i < size; ++i) {
    payload[i] = binary ? static_cast<std::uint8_t>((i * 131 + 0x80) ^ (i >> 8))
                        : static_cast<std::uint8_t>(text[i % (sizeof text - 1)]);
  }
  return payload;
}

void append_masked_frame(std::vector<std::uint8_t>& out, std::uint8_t first_byte,
                         const std::uint8_t* payload, std::size_t size,
                         std::array<std::uint8_t, 4> mask) {
  out.push_back(first_byte);
  if (size < 126) {
    out.push_back(static_cast<std::uint8_t>(0x80 | size));
  } else if (size <= 0xFFFF) {
    out.push_back(0x80 | 126);
    out.push_back(static_cast<std::uint8_t>(size >> 8));
    out.push_back(static_cast<std::uint8_t>(size));
  } else {
    out.push_back(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(size) >> shift));
    }
  }
  out.insert(out.end(), mask.begin(), mask.end());
  for (std::size_t i = 0; i < size; ++i) out.push_back(payload[i] ^ mask[i % 4]);
}

std::vector<std::uint8_t> deflate_message(const std::vector<std::uint8_t>& payload) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::vector<std::uint8_t> out(deflateBound(&stream, payload.size()) + 16);
  stream.next_in = const_cast<Bytef*>(payload.data());
  stream.avail_in = static_cast<uInt>(payload.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_SYNC_FLUSH);
  out.resize(out.size() - stream.avail_out);
  deflateEnd(&stream);
  if (status != Z_OK || out.size() < 4) throw std::runtime_error("deflate failed");
  out.resize(out.size() - 4);  // the 00 00 FF FF of the sync flush
  return out;
}

std::vector<std::uint8_t> masked_close_frame(std::array<std::uint8_t, 4> mask) {
  const std::uint8_t code[2] = {1000 >> 8, 1000 & 0xFF};
  std::vector<std::uint8_t> out;
  append_masked_frame(out, kFin | kOpClose, code, sizeof code, mask);
  return out;
}

}  // namespace faye::load
