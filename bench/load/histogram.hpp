// A log-linear latency histogram (as HdrHistogram does it): 32 linear buckets
// per power of two, so any percentile is within ~3% of the truth, recording
// is a few integer operations and the whole thing is a fixed 15 KiB.
#pragma once

#include <array>
#include <cstdint>

namespace faye::load {

class Histogram {
 public:
  void record(std::uint64_t value_ns) {
    ++counts_[bucket_of(value_ns)];
    ++total_;
  }
  void merge(const Histogram& other);
  std::uint64_t count() const { return total_; }
  // The value below which `fraction` (0..1) of the samples lie, in ns; 0 when empty.
  std::uint64_t percentile(double fraction) const;

 private:
  static constexpr int kSubBits = 5;  // 2^5 = 32 buckets per power of two
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;

  static int bucket_of(std::uint64_t value) {
    if (value < kSub) return static_cast<int>(value);
    const int exponent = 63 - __builtin_clzll(value);
    const int shift = exponent - kSubBits;
    return (exponent - kSubBits + 1) * kSub + static_cast<int>((value >> shift) - kSub);
  }
  static std::uint64_t value_of(int bucket);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
};

}  // namespace faye::load
