#include "faye/driver/random.hpp"

#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace faye::driver {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

class Generator {
 public:
  std::uint64_t next() {
    if (remaining_ == 0) seed();
    --remaining_;
    std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  void seed() {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(s_), sizeof s_) != 1) {
      throw std::runtime_error("OpenSSL RAND_bytes failed");
    }
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;  // the all-zero state is a fixed point
    remaining_ = kReseedInterval;
  }

  // Fresh entropy every million draws bounds what an observer of masks could
  // learn about the state.
  static constexpr std::uint32_t kReseedInterval = 1u << 20;
  std::uint64_t s_[4] = {};
  std::uint32_t remaining_ = 0;
};

Generator& generator() {
  thread_local Generator instance;
  return instance;
}

}  // namespace

std::uint64_t random_u64() { return generator().next(); }

MaskKey random_mask() {
  std::uint64_t value = generator().next();
  MaskKey key;
  std::memcpy(key.data(), &value, key.size());
  return key;
}

}  // namespace faye::driver
