#include "faye/driver/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "utf8_reference.hpp"

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

TEST(Utf8, IsAsciiSpotsAHighBitAnywhere) {
  for (std::size_t size = 0; size <= 40; ++size) {
    std::string text(size, 'x');
    EXPECT_TRUE(is_ascii(as_bytes(text))) << size;
    for (std::size_t at = 0; at < size; ++at) {
      std::string high = text;
      high[at] = static_cast<char>(0x80);
      EXPECT_FALSE(is_ascii(as_bytes(high))) << size << " at " << at;
    }
  }
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

// ---- Differential tests against the RFC 3629 grammar -----------------------
//
// Every kernel (SSSE3, AVX2, AVX-512 and scalar, those this CPU runs) must answer
// exactly as the byte-at-a-time reference after every piece, wherever the
// input is cut: a sequence split across pieces stays pending, and the piece
// holding the first bad byte is the one that fails.

using testing::ReferenceUtf8;
using Input = std::vector<std::uint8_t>;

// Switches the kernel for one test, then restores the CPU's choice.
class KernelScope {
 public:
  explicit KernelScope(Utf8Kernel kernel) : saved_(utf8_kernel()) {
    supported_ = use_utf8_kernel(kernel);
  }
  ~KernelScope() { use_utf8_kernel(saved_); }
  bool supported() const { return supported_; }

 private:
  Utf8Kernel saved_;
  bool supported_ = false;
};

constexpr Utf8Kernel kKernels[] = {Utf8Kernel::scalar, Utf8Kernel::ssse3, Utf8Kernel::avx2,
                                   Utf8Kernel::avx512};

const char* kernel_name(Utf8Kernel kernel) {
  switch (kernel) {
    case Utf8Kernel::scalar:
      return "scalar";
    case Utf8Kernel::ssse3:
      return "ssse3";
    case Utf8Kernel::avx2:
      return "avx2";
    case Utf8Kernel::avx512:
      return "avx512";
  }
  return "?";
}

// Feeds `input` cut at `cuts` (ascending) and compares with the reference
// after every piece. Returns a description of the first disagreement.
std::string compare(const Input& input, const std::vector<std::size_t>& cuts) {
  Utf8Validator validator;
  ReferenceUtf8 reference;
  std::size_t from = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    std::size_t to = i < cuts.size() ? cuts[i] : input.size();
    for (std::size_t at = from; at < to; ++at) reference.push(input[at]);
    bool fed = validator.feed(Bytes(input.data() + from, to - from));
    if (fed != !reference.failed()) {
      return "piece [" + std::to_string(from) + ", " + std::to_string(to) + "): validator says " +
             (fed ? "valid" : "invalid");
    }
    from = to;
  }
  if (validator.complete() != reference.complete()) return "complete() differs";
  return {};
}

void append_code_point(Input& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<std::uint8_t>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<std::uint8_t>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<std::uint8_t>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<std::uint8_t>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<std::uint8_t>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<std::uint8_t>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<std::uint8_t>(0x80 | (cp & 0x3F)));
  }
}

// Valid text of about `size` bytes: runs of ASCII and characters of every
// length, boundary code points included.
Input random_text(std::mt19937& rng, std::size_t size) {
  static constexpr std::uint32_t kEdges[] = {0x7F,   0x80,   0x7FF,  0x800,   0xD7FF,
                                             0xE000, 0xFFFD, 0xFFFF, 0x10000, 0x10FFFF};
  Input out;
  while (out.size() < size) {
    switch (rng() % 6) {
      case 0:
        for (unsigned n = rng() % 80; n > 0; --n) out.push_back(' ' + rng() % 95);
        break;
      case 1:
        append_code_point(out, 0x80 + rng() % (0x800 - 0x80));
        break;
      case 2: {
        std::uint32_t cp = 0x800 + rng() % (0x10000 - 0x800);
        append_code_point(out, cp >= 0xD800 && cp <= 0xDFFF ? cp - 0x800 : cp);
        break;
      }
      case 3:
        append_code_point(out, 0x10000 + rng() % (0x110000 - 0x10000));
        break;
      case 4:
        append_code_point(out, kEdges[rng() % std::size(kEdges)]);
        break;
      default:
        append_code_point(out, rng() % 0x80);
        break;
    }
  }
  return out;
}

// Sequences that are wrong in every way the grammar forbids, and some that
// are right only just.
const std::vector<Input>& adversarial_pieces() {
  static const std::vector<Input> pieces = {{0x80},
                                            {0xBF},
                                            {0xC0, 0x80},
                                            {0xC1, 0xBF},
                                            {0xC2},
                                            {0xC2, 0x41},
                                            {0xC2, 0xC2},
                                            {0xDF, 0xBF},
                                            {0xE0, 0x80, 0x80},
                                            {0xE0, 0x9F, 0xBF},
                                            {0xE0, 0xA0, 0x80},
                                            {0xE1, 0x80},
                                            {0xED, 0x9F, 0xBF},
                                            {0xED, 0xA0, 0x80},
                                            {0xED, 0xBF, 0xBF},
                                            {0xEF, 0xBF, 0xBF},
                                            {0xF0, 0x80, 0x80, 0x80},
                                            {0xF0, 0x8F, 0xBF, 0xBF},
                                            {0xF0, 0x90, 0x80, 0x80},
                                            {0xF0, 0x90, 0x80},
                                            {0xF4, 0x8F, 0xBF, 0xBF},
                                            {0xF4, 0x90, 0x80, 0x80},
                                            {0xF5, 0x80, 0x80, 0x80},
                                            {0xF7, 0xBF, 0xBF, 0xBF},
                                            {0xF8, 0x88, 0x80, 0x80, 0x80},
                                            {0xFE},
                                            {0xFF},
                                            {0xE2, 0x82, 0xAC, 0xAC},
                                            {0xF0, 0x9F, 0x98, 0x80, 0x80},
                                            {0xE2, 0x82, 0xF0, 0x9F},
                                            {0xE2, 0x41, 0x41},
                                            {0xF0, 0x9F, 0x41, 0x41}};
  return pieces;
}

TEST(Utf8, EveryKernelAgreesWithTheGrammarOnEverySplit) {
  std::mt19937 rng(6455);
  for (Utf8Kernel kernel : kKernels) {
    KernelScope scope(kernel);
    if (!scope.supported()) continue;
    SCOPED_TRACE(kernel_name(kernel));
    for (int round = 0; round < 60; ++round) {
      Input input = random_text(rng, 1 + rng() % 300);
      // Spoil some: a piece from the adversarial set, or a random byte.
      if (round % 3 != 0) {
        const auto& pieces = adversarial_pieces();
        const Input& piece = pieces[rng() % pieces.size()];
        input.insert(input.begin() + static_cast<std::ptrdiff_t>(rng() % (input.size() + 1)),
                     piece.begin(), piece.end());
      }
      if (round % 5 == 1) input[rng() % input.size()] = static_cast<std::uint8_t>(rng());
      for (std::size_t split = 0; split <= input.size(); ++split) {
        std::string diff = compare(input, {split});
        ASSERT_TRUE(diff.empty()) << diff << ", round " << round << ", split " << split;
      }
      std::vector<std::size_t> cuts;
      for (std::size_t at = 0; at < input.size(); at += 1 + rng() % 70) cuts.push_back(at);
      std::string diff = compare(input, cuts);
      ASSERT_TRUE(diff.empty()) << diff << ", round " << round << ", random cuts";
    }
  }
}

// Each bad sequence at every offset of a few 64-byte blocks of multi-byte
// text, so that it meets every lane and block boundary of the vector code.
TEST(Utf8, EveryKernelFindsEachBadSequenceAtEveryOffset) {
  std::mt19937 rng(7692);
  const Input text = random_text(rng, 260);
  for (Utf8Kernel kernel : kKernels) {
    KernelScope scope(kernel);
    if (!scope.supported()) continue;
    SCOPED_TRACE(kernel_name(kernel));
    for (const Input& piece : adversarial_pieces()) {
      for (std::size_t at = 0; at <= 200; ++at) {
        Input input(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at));
        input.insert(input.end(), piece.begin(), piece.end());
        input.insert(input.end(), text.begin() + static_cast<std::ptrdiff_t>(at), text.end());
        for (std::size_t split : {std::size_t{0}, at, at + 1, input.size() - 1}) {
          std::string diff = compare(input, {std::min(split, input.size())});
          ASSERT_TRUE(diff.empty()) << diff << ", offset " << at << ", split " << split;
        }
      }
    }
  }
}

// Large valid text in one piece: the vector path runs end to end.
TEST(Utf8, EveryKernelAcceptsLargeText) {
  std::mt19937 rng(3629);
  const Input text = random_text(rng, 1 << 16);
  for (Utf8Kernel kernel : kKernels) {
    KernelScope scope(kernel);
    if (!scope.supported()) continue;
    EXPECT_TRUE(is_valid_utf8(text)) << kernel_name(kernel);
    Input bad = text;
    bad[bad.size() - 100] = 0xFF;
    EXPECT_FALSE(is_valid_utf8(bad)) << kernel_name(kernel);
  }
}

TEST(Utf8, ScalarKernelIsAlwaysAvailable) {
  KernelScope scope(Utf8Kernel::scalar);
  EXPECT_TRUE(scope.supported());
  EXPECT_EQ(utf8_kernel(), Utf8Kernel::scalar);
}

}  // namespace
}  // namespace faye::driver
