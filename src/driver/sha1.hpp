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

Sha1Digest sha1(Bytes data);

}  // namespace faye::driver
