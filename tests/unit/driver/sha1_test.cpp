// The handshake's own SHA-1, with each block function this CPU has, against
// FIPS 180 vectors and, for every length around the padding's block
// boundaries, against OpenSSL.
#include "driver/sha1.hpp"

#include <openssl/sha.h>

#include <string>

#include <gtest/gtest.h>

namespace faye::driver {
namespace {

std::string hex(const Sha1Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t byte : digest) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 15];
  }
  return out;
}

class Sha1Test : public ::testing::TestWithParam<Sha1Kernel> {
 protected:
  void SetUp() override {
    if (!sha1_kernel_supported(GetParam())) GTEST_SKIP() << "not supported by this CPU";
  }
  Sha1Digest sha1(Bytes data) const { return driver::sha1(data, GetParam()); }
};

TEST_P(Sha1Test, MatchesTheStandardsVectors) {
  EXPECT_EQ(hex(sha1(as_bytes(std::string_view("")))),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex(sha1(as_bytes(std::string_view("abc")))),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex(sha1(as_bytes(std::string_view(
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(hex(sha1(as_bytes(std::string(1000000, 'a')))),
            "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST_P(Sha1Test, MatchesOpenSslAtEveryLengthAcrossThreeBlocks) {
  std::string input;
  for (std::size_t size = 0; size <= 200; ++size) {
    Sha1Digest expected;
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), expected.data());
    ASSERT_EQ(hex(sha1(as_bytes(input))), hex(expected)) << "length " << size;
    input += static_cast<char>(size * 37 + 11);
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, Sha1Test,
                         ::testing::Values(Sha1Kernel::portable, Sha1Kernel::sha_ni),
                         [](const auto& info) {
                           return info.param == Sha1Kernel::portable ? "portable" : "sha_ni";
                         });

TEST(Sha1, TheDefaultKernelAgreesWithThePortableOne) {
  const std::string input = "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  EXPECT_EQ(hex(sha1(as_bytes(input))), hex(sha1(as_bytes(input), Sha1Kernel::portable)));
}

}  // namespace
}  // namespace faye::driver
