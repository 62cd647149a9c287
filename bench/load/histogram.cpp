#include "histogram.hpp"

#include <cmath>

namespace faye::load {

void Histogram::merge(const Histogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
}

// The middle of the bucket's range: half a bucket's width of error at most.
std::uint64_t Histogram::value_of(int bucket) {
  const int group = bucket / kSub;
  if (group == 0) return static_cast<std::uint64_t>(bucket);
  const int shift = group - 1;
  const std::uint64_t low = static_cast<std::uint64_t>(bucket % kSub + kSub) << shift;
  return low + ((std::uint64_t{1} << shift) >> 1);
}

std::uint64_t Histogram::percentile(double fraction) const {
  if (total_ == 0) return 0;
  auto rank = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(total_)));
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return value_of(i);
  }
  return value_of(kBuckets - 1);
}

}  // namespace faye::load
