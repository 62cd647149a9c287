#include "faye/driver/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace faye::driver {
namespace {

bool valid(std::string_view s) { return is_valid_utf8(as_bytes(s)); }

TEST(Utf8, AcceptsAsciiAndMultiByteText) {
  EXPECT_TRUE(valid(""));
  EXPECT_TRUE(valid("Hello, world! 0123456789 the quick brown fox jumps over"));
  EXPECT_TRUE(valid("κόσμε"));
  EXPECT_TRUE(valid("\xF0\x9F\x98\x80 smile"));            // U+1F600
  EXPECT_TRUE(valid("\xEF\xBF\xBF"));                      // U+FFFF
  EXPECT_TRUE(valid("\xF4\x8F\xBF\xBF"));                  // U+10FFFF
  EXPECT_TRUE(valid("\xED\x9F\xBF"));                      // U+D7FF
  EXPECT_TRUE(valid("\xEE\x80\x80"));                      // U+E000
}

TEST(Utf8, RefusesInvalidSequences) {
  EXPECT_FALSE(valid("\x80"));                  // lone continuation
  EXPECT_FALSE(valid("\xC0\xAF"));              // overlong '/'
  EXPECT_FALSE(valid("\xC1\xBF"));
  EXPECT_FALSE(valid("\xE0\x9F\xBF"));          // overlong 3-byte
  EXPECT_FALSE(valid("\xF0\x8F\xBF\xBF"));      // overlong 4-byte
  EXPECT_FALSE(valid("\xED\xA0\x80"));          // surrogate U+D800
  EXPECT_FALSE(valid("\xED\xBF\xBF"));          // surrogate U+DFFF
  EXPECT_FALSE(valid("\xF4\x90\x80\x80"));      // U+110000
  EXPECT_FALSE(valid("\xF5\x80\x80\x80"));
  EXPECT_FALSE(valid("\xFE"));
  EXPECT_FALSE(valid("\xFF"));
  EXPECT_FALSE(valid("\xCE\xBA\xE1"));          // truncated at the end
  EXPECT_FALSE(valid("abc\xC3(def"));           // bad continuation
  EXPECT_FALSE(valid(std::string(100, 'a') + "\x80" + std::string(100, 'a')));
}

TEST(Utf8, GivesTheSameAnswerForEverySplit) {
  const std::string samples[] = {"κόσμε-\xF0\x9F\x98\x80-ascii-padding-0123456789",
                                 "κόσμε\xED\xA0\x80" "edited", "\xF0\x90\x80"};
  for (const std::string& sample : samples) {
    bool expected = valid(sample);
    for (std::size_t split = 0; split <= sample.size(); ++split) {
      Utf8Validator v;
      bool ok = v.feed(as_bytes(std::string_view(sample).substr(0, split))) &&
                v.feed(as_bytes(std::string_view(sample).substr(split)));
      EXPECT_EQ(ok && v.complete(), expected) << "split " << split;
    }
  }
}

TEST(Utf8, FailsAtTheFirstBadPiece) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed(as_bytes("\xCE")));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.feed(as_bytes("\xF0")));  // not a continuation: fail now, not at the end
  EXPECT_TRUE(v.failed());
  EXPECT_FALSE(v.feed(as_bytes("ok")));    // stays failed
  v.reset();
  EXPECT_TRUE(v.feed(as_bytes("ok")));
  EXPECT_TRUE(v.complete());
}

}  // namespace
}  // namespace faye::driver
