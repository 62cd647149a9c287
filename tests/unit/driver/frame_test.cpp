#include "faye/driver/frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace faye::driver {
namespace {

using Octets = std::vector<std::uint8_t>;

Octets encode(const FrameHeader& header) {
  std::uint8_t out[kMaxHeaderSize];
  std::size_t size = encode_header(out, header);
  return Octets(out, out + size);
}

// RFC 6455 5.7 examples.
TEST(Frame, EncodesUnmaskedTextHeader) {
  FrameHeader header{.fin = true, .opcode = 0x1, .length = 5};
  EXPECT_EQ(encode(header), (Octets{0x81, 0x05}));
}

TEST(Frame, MasksHelloAsInRfcExample) {
  MaskKey key{0x37, 0xfa, 0x21, 0x3d};
  std::string payload = "Hello";
  mask_in_place(MutableBytes(reinterpret_cast<std::uint8_t*>(payload.data()), payload.size()), key);
  EXPECT_EQ(Octets(payload.begin(), payload.end()), (Octets{0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  FrameHeader header{.fin = true, .opcode = 0x1, .masked = true, .mask = key, .length = 5};
  EXPECT_EQ(encode(header), (Octets{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d}));
}

TEST(Frame, EncodesFragmentsPingAndPong) {
  EXPECT_EQ(encode({.fin = false, .opcode = 0x1, .length = 3}), (Octets{0x01, 0x03}));
  EXPECT_EQ(encode({.fin = true, .opcode = 0x0, .length = 2}), (Octets{0x80, 0x02}));
  EXPECT_EQ(encode({.fin = true, .opcode = 0x9, .length = 5}), (Octets{0x89, 0x05}));
  EXPECT_EQ(encode({.fin = true, .opcode = 0xA, .masked = true, .mask = {0x37, 0xfa, 0x21, 0x3d},
                    .length = 5}),
            (Octets{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d}));
}

TEST(Frame, UsesShortestLengthEncoding) {
  EXPECT_EQ(encode({.opcode = 0x2, .length = 125}), (Octets{0x82, 125}));
  EXPECT_EQ(encode({.opcode = 0x2, .length = 126}), (Octets{0x82, 0x7E, 0x00, 0x7E}));
  EXPECT_EQ(encode({.opcode = 0x2, .length = 256}), (Octets{0x82, 0x7E, 0x01, 0x00}));
  EXPECT_EQ(encode({.opcode = 0x2, .length = 65535}), (Octets{0x82, 0x7E, 0xFF, 0xFF}));
  EXPECT_EQ(encode({.opcode = 0x2, .length = 65536}),
            (Octets{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
}

TEST(Frame, DecodesWhatItEncodes) {
  for (std::uint64_t length : {0ull, 1ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 40}) {
    FrameHeader in{.fin = false, .rsv = kRsv1, .opcode = 0x2, .masked = true,
                   .mask = {9, 8, 7, 6}, .length = length};
    Octets bytes = encode(in);
    ASSERT_EQ(header_size(bytes[0], bytes[1]), bytes.size());
    FrameHeader out;
    ASSERT_TRUE(decode_header(bytes.data(), out));
    EXPECT_EQ(out.fin, in.fin);
    EXPECT_EQ(out.rsv, in.rsv);
    EXPECT_EQ(out.opcode, in.opcode);
    EXPECT_EQ(out.masked, in.masked);
    EXPECT_EQ(out.mask, in.mask);
    EXPECT_EQ(out.length, length);
  }
}

TEST(Frame, RefusesLengthWithMostSignificantBitSet) {
  Octets bytes{0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1};
  FrameHeader header;
  EXPECT_FALSE(decode_header(bytes.data(), header));
}

TEST(Frame, MasksPiecewiseLikeWhole) {
  std::vector<std::uint8_t> data(1000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  MaskKey key{0xde, 0xad, 0xbe, 0xef};
  auto whole = data;
  mask_in_place(MutableBytes(whole), key);
  for (std::size_t split : {1u, 3u, 31u, 32u, 33u, 500u, 999u}) {
    auto pieces = data;
    mask_in_place(MutableBytes(pieces).first(split), key, 0);
    mask_in_place(MutableBytes(pieces).subspan(split), key, split);
    EXPECT_EQ(pieces, whole) << "split at " << split;
  }
  for (std::size_t i = 0; i < data.size(); ++i) {
    ASSERT_EQ(whole[i], data[i] ^ key[i % 4]);
  }
}

TEST(Frame, UnmaskIsAsciiUnmasksAndSpotsAnyHighBit) {
  const MaskKey key{0x37, 0xfa, 0x21, 0x3d};
  for (std::size_t size = 0; size <= 100; ++size) {
    std::vector<std::uint8_t> ascii(size);
    for (std::size_t i = 0; i < size; ++i) ascii[i] = static_cast<std::uint8_t>('a' + i % 26);
    // Every position of the one non-ASCII byte: the word loops and the tail.
    for (std::size_t high = 0; high <= size; ++high) {
      auto plain = ascii;
      if (high < size) plain[high] = 0xC3;
      auto masked = plain;
      mask_in_place(MutableBytes(masked), key);
      EXPECT_EQ(unmask_is_ascii(MutableBytes(masked), key), high == size)
          << "size " << size << ", non-ASCII at " << high;
      ASSERT_EQ(masked, plain) << "size " << size;
    }
  }
}

TEST(Frame, MaskCopyLeavesSourceIntact) {
  std::vector<std::uint8_t> src(100, 0x55), dst(100);
  MaskKey key{1, 2, 3, 4};
  mask_copy(dst.data(), src.data(), src.size(), key, 2);
  for (std::size_t i = 0; i < src.size(); ++i) {
    ASSERT_EQ(src[i], 0x55);
    ASSERT_EQ(dst[i], 0x55 ^ key[(i + 2) % 4]);
  }
}

}  // namespace
}  // namespace faye::driver
