// SHA-1 (FIPS 180-4) for the opening handshake's Sec-WebSocket-Accept only:
// RFC 6455 hashes a 60-byte string once per connection, where OpenSSL 3's
// digest API spends more on looking up its provider than on hashing.
// Not for anything that needs collision resistance.
#pragma once

#include <array>
#include <cstdint>

#include "faye/bytes.hpp"

namespace faye::driver {

using Sha1Digest = std::array<std::uint8_t, 20>;

// The block function: portable C++, or the x86 SHA extensions (SHA-NI, on
// Intel since Ice Lake and Goldmont, on AMD since Zen), which hash the
// handshake's two blocks in a tenth of the instructions.
enum class Sha1Kernel { portable, sha_ni };

// With the fastest kernel this CPU has.
Sha1Digest sha1(Bytes data);
// With `kernel`, which must be supported (for tests and benchmarks).
Sha1Digest sha1(Bytes data, Sha1Kernel kernel);
bool sha1_kernel_supported(Sha1Kernel kernel);

}  // namespace faye::driver
