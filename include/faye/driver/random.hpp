// Masking keys for client frames (RFC 6455 5.3) must be unpredictable, yet
// drawing each from the kernel would cost a syscall per frame. Each thread
// has a xoshiro256** generator seeded from OpenSSL's CSPRNG, reseeded
// periodically.
#pragma once

#include <cstdint>

#include "faye/driver/frame.hpp"

namespace faye::driver {

MaskKey random_mask();
std::uint64_t random_u64();

}  // namespace faye::driver
