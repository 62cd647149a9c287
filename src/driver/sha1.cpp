#include "sha1.hpp"

#include <cstddef>
#include <cstring>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define FAYE_SHA1_X86 1
#endif

namespace faye::driver {
namespace {

using State = std::uint32_t[5];
using BlockFunction = void (*)(State& h, const std::uint8_t* blocks, std::size_t count);

constexpr std::uint32_t rotl(std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

// One 64-byte block into the state (FIPS 180-4 6.1.2). Four loops of 20
// rounds, each with its own function, so that no round tests which it is.
void compress(State& h, const std::uint8_t* block) {
  std::uint32_t w[80];
  for (int t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
  for (int t = 16; t < 80; ++t) w[t] = rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  auto round = [&](std::uint32_t f, std::uint32_t k, std::uint32_t word) {
    const std::uint32_t temp = rotl(a, 5) + f + e + k + word;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = temp;
  };
  for (int t = 0; t < 20; ++t) round(d ^ (b & (c ^ d)), 0x5A827999, w[t]);
  for (int t = 20; t < 40; ++t) round(b ^ c ^ d, 0x6ED9EBA1, w[t]);
  for (int t = 40; t < 60; ++t) round((b & c) | (d & (b | c)), 0x8F1BBCDC, w[t]);
  for (int t = 60; t < 80; ++t) round(b ^ c ^ d, 0xCA62C1D6, w[t]);
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

void compress_portable(State& h, const std::uint8_t* blocks, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) compress(h, blocks + 64 * i);
}

#ifdef FAYE_SHA1_X86
#define FAYE_SHA_NI [[gnu::target("sha,sse4.1"), gnu::always_inline]] inline

// Rounds 4G .. 4G+3 (Intel's SHA extensions do four per instruction). `m`
// holds the schedule's next 16 words, four per register, and is advanced as
// the rounds use it: msg1 and the XOR start words 16 rounds ahead, msg2
// finishes them 4 rounds ahead. `previous` is the state from before the last
// group, from which sha1nexte derives this group's E.
template <int G>
FAYE_SHA_NI void sha_ni_group(__m128i& abcd, __m128i& previous, __m128i (&m)[4]) {
  const __m128i e = _mm_sha1nexte_epu32(previous, m[G % 4]);
  previous = abcd;
  if constexpr (G >= 3 && G <= 18) m[(G + 1) % 4] = _mm_sha1msg2_epu32(m[(G + 1) % 4], m[G % 4]);
  abcd = _mm_sha1rnds4_epu32(abcd, e, G / 5);
  if constexpr (G >= 1 && G <= 16) m[(G + 3) % 4] = _mm_sha1msg1_epu32(m[(G + 3) % 4], m[G % 4]);
  if constexpr (G >= 2 && G <= 17) m[(G + 2) % 4] = _mm_xor_si128(m[(G + 2) % 4], m[G % 4]);
}

template <int... G>
FAYE_SHA_NI void sha_ni_groups(__m128i& abcd, __m128i& previous, __m128i (&m)[4],
                               std::integer_sequence<int, G...>) {
  (sha_ni_group<G + 1>(abcd, previous, m), ...);
}

[[gnu::target("sha,sse4.1")]] void compress_sha_ni(State& h, const std::uint8_t* blocks,
                                                   std::size_t count) {
  // Big-endian words, the first in the highest lane: the order the
  // instructions expect A..D and W0..W3 in.
  const __m128i byte_order = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0x1B);
  __m128i e0 = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);
  for (std::size_t i = 0; i < count; ++i, blocks += 64) {
    __m128i m[4];
    for (int j = 0; j < 4; ++j) {
      m[j] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * j)),
                              byte_order);
    }
    const __m128i abcd_before = abcd;
    __m128i previous = abcd;
    // Group 0 takes E from the state; groups 1..19 derive it.
    abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e0, m[0]), 0);
    sha_ni_groups(abcd, previous, m, std::make_integer_sequence<int, 19>());
    e0 = _mm_sha1nexte_epu32(previous, e0);
    abcd = _mm_add_epi32(abcd, abcd_before);
  }
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_shuffle_epi32(abcd, 0x1B));
  h[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e0, 3));
}

bool cpu_has_sha_ni() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool sse41 = (ecx & bit_SSE4_1) != 0;
  const bool ssse3 = (ecx & bit_SSSE3) != 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return sse41 && ssse3 && (ebx & bit_SHA) != 0;
}
#endif

BlockFunction block_function(Sha1Kernel kernel) {
#ifdef FAYE_SHA1_X86
  if (kernel == Sha1Kernel::sha_ni) return compress_sha_ni;
#endif
  (void)kernel;
  return compress_portable;
}

Sha1Digest hash(Bytes data, BlockFunction blocks) {
  State h = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  const std::size_t whole = data.size() / 64;
  blocks(h, data.data(), whole);
  const std::uint8_t* p = data.data() + whole * 64;
  const std::size_t left = data.size() - whole * 64;

  // Padding (5.1.1): 0x80, zeros, and the length in bits as 64 bits big-endian;
  // one block, or two when fewer than 9 bytes are left for them.
  std::uint8_t tail[128] = {};
  if (left != 0) std::memcpy(tail, p, left);
  tail[left] = 0x80;
  const std::size_t tail_blocks = left + 9 <= 64 ? 1 : 2;
  const std::uint64_t bits = static_cast<std::uint64_t>(data.size()) * 8;
  for (int i = 0; i < 8; ++i) {
    tail[tail_blocks * 64 - 1 - i] = static_cast<std::uint8_t>(bits >> (8 * i));
  }
  blocks(h, tail, tail_blocks);

  Sha1Digest digest;
  for (int i = 0; i < 5; ++i) {
    digest[4 * i] = static_cast<std::uint8_t>(h[i] >> 24);
    digest[4 * i + 1] = static_cast<std::uint8_t>(h[i] >> 16);
    digest[4 * i + 2] = static_cast<std::uint8_t>(h[i] >> 8);
    digest[4 * i + 3] = static_cast<std::uint8_t>(h[i]);
  }
  return digest;
}

}  // namespace

bool sha1_kernel_supported(Sha1Kernel kernel) {
  switch (kernel) {
    case Sha1Kernel::portable:
      return true;
    case Sha1Kernel::sha_ni:
#ifdef FAYE_SHA1_X86
      return cpu_has_sha_ni();
#else
      return false;
#endif
  }
  return false;
}

Sha1Digest sha1(Bytes data, Sha1Kernel kernel) {
  return hash(data, block_function(kernel));
}

Sha1Digest sha1(Bytes data) {
  static const BlockFunction best = block_function(
      sha1_kernel_supported(Sha1Kernel::sha_ni) ? Sha1Kernel::sha_ni : Sha1Kernel::portable);
  return hash(data, best);
}

}  // namespace faye::driver
