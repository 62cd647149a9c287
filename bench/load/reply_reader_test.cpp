// The raw engine's echo checker: frames split across reads at every byte,
// fragmented and compressed replies, and the mistakes it must catch.
#include "reply_reader.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "frames.hpp"
#include "histogram.hpp"

namespace faye::load {
namespace {

// An unmasked server frame.
std::vector<std::uint8_t> server_frame(std::uint8_t first, const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> out{first};
  const std::size_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<std::uint8_t>(size));
  } else if (size <= 0xFFFF) {
    out.insert(out.end(), {126, static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(size >> shift));
  }
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

struct Fed {
  ReplyReader::Status status;
  std::uint32_t messages;
};

// Feeds `wire` in pieces of `step` bytes.
Fed feed(const std::vector<std::uint8_t>& wire, const ExpectedEcho& expected, std::size_t step) {
  ReplyReader reader;
  std::uint32_t messages = 0;
  for (std::size_t at = 0; at < wire.size(); at += step) {
    const auto status = reader.feed(wire.data() + at, std::min(step, wire.size() - at), expected, messages);
    if (status != ReplyReader::Status::ok) return {status, messages};
  }
  return {ReplyReader::Status::ok, messages};
}

TEST(ReplyReader, CountsEchoesSplitAtEveryByte) {
  for (const std::size_t size : {0u, 5u, 125u, 126u, 70000u}) {
    const auto payload = make_payload(size, true);
    const ExpectedEcho expected{kOpBinary, payload.data(), payload.size()};
    std::vector<std::uint8_t> wire;
    for (int i = 0; i < 3; ++i) {
      const auto frame = server_frame(kFin | kOpBinary, payload);
      wire.insert(wire.end(), frame.begin(), frame.end());
    }
    for (const std::size_t step : {1u, 3u, 7u, 1000u, 1u << 20}) {
      const Fed fed = feed(wire, expected, step);
      EXPECT_EQ(fed.status, ReplyReader::Status::ok) << size << " by " << step;
      EXPECT_EQ(fed.messages, 3u) << size << " by " << step;
    }
  }
}

TEST(ReplyReader, PutsFragmentsTogetherAroundPings) {
  const auto payload = make_payload(100, false);
  const ExpectedEcho expected{kOpText, payload.data(), payload.size()};
  const std::vector<std::uint8_t> a(payload.begin(), payload.begin() + 40);
  const std::vector<std::uint8_t> b(payload.begin() + 40, payload.end());
  std::vector<std::uint8_t> wire = server_frame(kOpText, a);
  const auto ping = server_frame(kFin | 0x9, {1, 2});
  const auto rest = server_frame(kFin | 0x0, b);
  wire.insert(wire.end(), ping.begin(), ping.end());
  wire.insert(wire.end(), rest.begin(), rest.end());
  const Fed fed = feed(wire, expected, 1);
  EXPECT_EQ(fed.status, ReplyReader::Status::ok);
  EXPECT_EQ(fed.messages, 1u);
}

TEST(ReplyReader, CountsCompressedRepliesWithoutInflating) {
  const auto payload = make_payload(300, false);
  const ExpectedEcho expected{kOpText, payload.data(), payload.size()};
  const Fed fed = feed(server_frame(kFin | kRsv1 | kOpText, deflate_message(payload)), expected, 10);
  EXPECT_EQ(fed.status, ReplyReader::Status::ok);
  EXPECT_EQ(fed.messages, 1u);
}

TEST(ReplyReader, CatchesWrongEchoes) {
  const auto payload = make_payload(50, false);
  const ExpectedEcho expected{kOpText, payload.data(), payload.size()};
  auto changed = payload;
  changed[49] ^= 1;
  const std::vector<std::uint8_t> shorter(payload.begin(), payload.end() - 1);
  auto longer = payload;
  longer.push_back('x');
  for (const auto& wire : {server_frame(kFin | kOpText, changed), server_frame(kFin | kOpText, shorter),
                           server_frame(kFin | kOpText, longer), server_frame(kFin | kOpBinary, payload),
                           server_frame(kFin | 0x0, payload), server_frame(kFin | 0x20 | kOpText, payload)}) {
    EXPECT_EQ(feed(wire, expected, 1).status, ReplyReader::Status::error);
  }
  EXPECT_EQ(feed(server_frame(kFin | kOpClose, {0x03, 0xE8}), expected, 1).status,
            ReplyReader::Status::closed);
}

TEST(Histogram, PercentilesWithinThreePercent) {
  Histogram histogram;
  for (std::uint64_t value = 1; value <= 100000; ++value) histogram.record(value * 1000);
  for (const double fraction : {0.5, 0.99, 0.999}) {
    const double expected = fraction * 100000 * 1000;
    EXPECT_NEAR(static_cast<double>(histogram.percentile(fraction)), expected, expected * 0.03);
  }
}

}  // namespace
}  // namespace faye::load
