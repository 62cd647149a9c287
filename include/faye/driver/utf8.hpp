// Incremental UTF-8 validation (RFC 3629): bytes may arrive in any number of
// pieces, and an invalid sequence is reported by the piece that contains it,
// so a text message fails as soon as its bad byte arrives (RFC 6455 8.1).
#pragma once

#include <cstdint>
#include <cstring>

#include "faye/bytes.hpp"

namespace faye::driver {

class Utf8Validator {
 public:
  // Validates the next piece. False once the input so far cannot be the
  // start of valid UTF-8; the validator then stays failed until reset().
  bool feed(Bytes bytes);
  // True when everything fed so far is valid and ends on a character boundary.
  bool complete() const { return pending_ == 0 && !failed_; }
  bool failed() const { return failed_; }
  void reset() { *this = Utf8Validator(); }

 private:
  // Continuation bytes still expected for the current character, and the
  // range the next one must fall in (narrower after E0, ED, F0, F4 so that
  // overlong forms, surrogates and code points past U+10FFFF are refused).
  std::uint8_t pending_ = 0;
  std::uint8_t low_ = 0x80;
  std::uint8_t high_ = 0xBF;
  bool failed_ = false;
};

// One-shot validation of a whole buffer.
bool is_valid_utf8(Bytes bytes);

// Whether every byte is below 0x80 (then also valid UTF-8). Inline: a
// client checks each small text message from its server with it first.
inline bool is_ascii(Bytes bytes) {
  const std::uint8_t* p = bytes.data();
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  std::uint64_t seen = 0;
  for (; i + 8 <= size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, p + i, 8);
    seen |= word;
  }
  for (; i < size; ++i) seen |= p[i];
  return (seen & 0x8080808080808080ull) == 0;
}

// How runs of 64 bytes and more are checked: 16, 32 or 64 bytes per step
// with SSSE3, AVX2 or AVX-512 table lookups, or a byte at a time (with an
// ASCII fast path).
// The best the CPU supports is chosen at startup; every kernel gives the
// same answers. For tests and benchmarks: use_utf8_kernel() switches
// process-wide (not while other threads validate) and returns false,
// changing nothing, when the CPU or the build lacks that kernel.
enum class Utf8Kernel : std::uint8_t { scalar, ssse3, avx2, avx512 };
bool use_utf8_kernel(Utf8Kernel kernel);
Utf8Kernel utf8_kernel();

}  // namespace faye::driver
