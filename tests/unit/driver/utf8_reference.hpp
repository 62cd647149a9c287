// A byte-at-a-time UTF-8 checker written straight from the RFC 3629 4
// grammar, for differential tests of Utf8Validator: slow and obvious.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faye::driver::testing {

class ReferenceUtf8 {
 public:
  // False once the bytes so far cannot begin valid UTF-8.
  bool push(std::uint8_t byte) {
    if (failed_) return false;
    if (need_ == 0) {
      // UTF8-1 / UTF8-2 / UTF8-3 / UTF8-4 lead bytes, with the range of
      // the second byte each allows.
      if (byte <= 0x7F) return true;
      if (byte >= 0xC2 && byte <= 0xDF) return expect(1, 0x80, 0xBF);
      if (byte == 0xE0) return expect(2, 0xA0, 0xBF);
      if ((byte >= 0xE1 && byte <= 0xEC) || byte == 0xEE || byte == 0xEF) {
        return expect(2, 0x80, 0xBF);
      }
      if (byte == 0xED) return expect(2, 0x80, 0x9F);
      if (byte == 0xF0) return expect(3, 0x90, 0xBF);
      if (byte >= 0xF1 && byte <= 0xF3) return expect(3, 0x80, 0xBF);
      if (byte == 0xF4) return expect(3, 0x80, 0x8F);
      failed_ = true;
      return false;
    }
    if (byte < low_ || byte > high_) {
      failed_ = true;
      return false;
    }
    --need_;
    low_ = 0x80;
    high_ = 0xBF;
    return true;
  }
  bool failed() const { return failed_; }
  bool complete() const { return !failed_ && need_ == 0; }

 private:
  bool expect(int need, std::uint8_t low, std::uint8_t high) {
    need_ = need;
    low_ = low;
    high_ = high;
    return true;
  }

  int need_ = 0;
  std::uint8_t low_ = 0x80;
  std::uint8_t high_ = 0xBF;
  bool failed_ = false;
};

}  // namespace faye::driver::testing
