// Monotonic time in nanoseconds: one integer, cheap to store in per-message
// FIFOs and to subtract.
#pragma once

#include <chrono>
#include <cstdint>

namespace faye::load {

inline std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

inline std::uint64_t seconds_to_ns(double seconds) {
  return static_cast<std::uint64_t>(seconds * 1e9);
}

}  // namespace faye::load
