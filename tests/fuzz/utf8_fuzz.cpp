// Differential: Utf8Validator (every kernel this CPU runs: AVX-512, AVX2,
// SSSE3, scalar) against the byte-at-a-time RFC 3629 reference, piece by piece.
// The first two bytes seed the cut points; the rest is the text. Any
// disagreement (a piece accepted that holds a bad byte, or refused that
// doesn't, or complete() differing) aborts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "../unit/driver/utf8_reference.hpp"
#include "faye/driver/utf8.hpp"

namespace {

using faye::driver::Utf8Kernel;

void check(const std::uint8_t* data, std::size_t size, std::uint32_t seed) {
  faye::driver::Utf8Validator validator;
  faye::driver::testing::ReferenceUtf8 reference;
  std::size_t at = 0;
  while (at < size) {
    // Pieces of 0 to ~200 bytes: short ones meet the scalar path, long ones
    // the 64-byte blocks, and every kind crosses a piece boundary.
    seed = seed * 1103515245 + 12345;
    std::size_t n = (seed >> 16) % 200;
    if (n > size - at) n = size - at;
    for (std::size_t i = at; i < at + n; ++i) reference.push(data[i]);
    bool fed = validator.feed(faye::Bytes(data + at, n));
    if (fed != !reference.failed()) std::abort();
    at += n;
    if (n == 0 && at == size) break;
  }
  if (validator.complete() != reference.complete()) std::abort();
  // And in one piece.
  faye::driver::testing::ReferenceUtf8 whole;
  for (std::size_t i = 0; i < size; ++i) whole.push(data[i]);
  if (faye::driver::is_valid_utf8(faye::Bytes(data, size)) != whole.complete()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint32_t seed = data[0] | (data[1] << 8);
  data += 2;
  size -= 2;
  const Utf8Kernel best = faye::driver::utf8_kernel();
  for (Utf8Kernel kernel :
       {Utf8Kernel::scalar, Utf8Kernel::ssse3, Utf8Kernel::avx2, Utf8Kernel::avx512}) {
    if (faye::driver::use_utf8_kernel(kernel)) check(data, size, seed);
  }
  faye::driver::use_utf8_kernel(best);
  return 0;
}
