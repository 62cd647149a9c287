#include "faye/driver/draft76.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/driver/recording_handler.hpp"

// The framing shared with draft-75 is tested for both classes by the typed
// DraftProtocol suite in draft75_test.cpp; this file covers what draft-76 adds.

namespace faye::driver {
namespace {

using testing::bytes;
using testing::RecordingHandler;
using Events = std::vector<std::string>;

// The worked example of draft-hixie-thewebsocketprotocol-76, section 1.3.
constexpr const char* spec_key1 = "18x 6]8vM;54 *(5:  {   U1]8  z [  8";
constexpr const char* spec_key2 = "1_ tx7X d  <  nw  334J702) 7]o}` 0";
constexpr const char* spec_key3 = "Tm[K T2u";
constexpr const char* spec_answer = "fQJ,fN/4F4!~K~MH";

constexpr const char* response_head =
    "HTTP/1.1 101 WebSocket Protocol Handshake\r\n"
    "Upgrade: WebSocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Origin: http://example.com\r\n"
    "Sec-WebSocket-Location: ws://example.com/demo\r\n"
    "\r\n";

std::span<const std::uint8_t, 8> key3_of(std::string_view text) {
  return std::span<const std::uint8_t, 8>(as_bytes(text).first<8>());
}

TEST(Draft76Key, ReadsTheDigitsDividedByTheSpaces) {
  EXPECT_EQ(draft76_key_number(spec_key1), 1868545188u / 12u);
  EXPECT_EQ(draft76_key_number(spec_key1), 155712099u);
  EXPECT_EQ(draft76_key_number(spec_key2), 173347027u);
  EXPECT_EQ(draft76_key_number("4 294 967 295"), 4294967295u / 3u);
  EXPECT_EQ(draft76_key_number("4294967295 "), 4294967295u);
  EXPECT_EQ(draft76_key_number("abc  "), 0u);
  EXPECT_EQ(draft76_key_number("0004294967295 "), 4294967295u);
}

TEST(Draft76Key, RefusesKeysWithoutSpaces) {
  EXPECT_EQ(draft76_key_number("12345"), std::nullopt);
  EXPECT_EQ(draft76_key_number(""), std::nullopt);
}

TEST(Draft76Key, RefusesNonIntegralQuotients) {
  EXPECT_EQ(draft76_key_number("7  "), std::nullopt);
  EXPECT_EQ(draft76_key_number("2 L785 8o% s9Sy9@V. 4<1P5"), std::nullopt);
}

TEST(Draft76Key, RefusesNumbersAbove32Bits) {
  EXPECT_EQ(draft76_key_number("4294967296 "), std::nullopt);
  EXPECT_EQ(draft76_key_number("99999999999999999999999999999999 "), std::nullopt);
}

TEST(Draft76Answer, MatchesTheDraftsWorkedExample) {
  auto answer = draft76_answer(155712099, 173347027, key3_of(spec_key3));
  ASSERT_TRUE(answer);
  EXPECT_EQ(as_text(*answer), spec_answer);
}

class Draft76Test : public ::testing::Test {
 protected:
  RecordingHandler handler;
  ServerOptions options;
  http::Request request = [] {
    http::Request request;
    request.method = "GET";
    request.target = "/demo";
    request.headers = {{"Host", "example.com"},           {"Connection", "Upgrade"},
                       {"Sec-WebSocket-Key2", spec_key2}, {"Upgrade", "WebSocket"},
                       {"Sec-WebSocket-Key1", spec_key1}, {"Origin", "http://example.com"}};
    return request;
  }();
};

TEST_F(Draft76Test, WritesTheHeadThenWaitsForKey3) {
  Draft76 driver(request, handler, options);
  EXPECT_EQ(driver.version(), "hixie-76");
  driver.start();
  EXPECT_EQ(handler.written, response_head);
  EXPECT_EQ(driver.ready_state(), ReadyState::connecting);
  EXPECT_EQ(handler.events, Events{});
  EXPECT_FALSE(driver.text("too early"));
  EXPECT_EQ(handler.written, response_head);
}

TEST_F(Draft76Test, AnswersTheDraftsWorkedExample) {
  Draft76 driver(request, handler, options);
  driver.start();
  handler.take_written();
  driver.parse(std::string_view(spec_key3));
  EXPECT_EQ(handler.written, spec_answer);
  EXPECT_EQ(handler.events, Events{"open"});
  EXPECT_EQ(driver.ready_state(), ReadyState::open);
}

TEST_F(Draft76Test, AnswersWebsocketDriversExample) {
  // websocket-driver's draft76_spec.rb.
  request.headers.set("Sec-WebSocket-Key1", "1   38 wZ3f9 23O0 3l 0r");
  request.headers.set("Sec-WebSocket-Key2", "27   0E 6 2  1665:< ;U 1H");
  Draft76 driver(request, handler, options);
  driver.start();
  driver.parse(bytes({0x91, 0x25, 0x3e, 0xd3, 0xa9, 0xe7, 0x6a, 0x88}));
  EXPECT_EQ(handler.written,
            response_head + bytes({0xB4, 0x9C, 'n', '@', 'S', 0x04, 0x04, '&', 0xE5, 0x1B, 0xBF,
                                   'l', 0xB7, 0x9F, 0x1D, 0xF9}));
  EXPECT_EQ(handler.events, Events{"open"});
}

TEST_F(Draft76Test, TakesFramesThatFollowKey3InTheSameRead) {
  Draft76 driver(request, handler, options);
  driver.start();
  driver.parse(std::string(spec_key3) + bytes({0x00, 'H', 'i', 0xFF, 0x00, 'p'}));
  driver.parse(bytes({'a', 'r', 't', 0xFF}));
  EXPECT_EQ(handler.written, std::string(response_head) + spec_answer);
  EXPECT_EQ(handler.events, (Events{"open", "message:Hi", "message:part"}));
}

TEST_F(Draft76Test, TakesKey3OneByteAtATime) {
  Draft76 driver(request, handler, options);
  driver.start();
  handler.take_written();
  std::string_view key3 = spec_key3;
  for (std::size_t i = 0; i + 1 < key3.size(); ++i) {
    driver.parse(key3.substr(i, 1));
    EXPECT_EQ(handler.written, "");
    EXPECT_EQ(driver.ready_state(), ReadyState::connecting);
  }
  driver.parse(key3.substr(7));
  EXPECT_EQ(handler.written, spec_answer);
  EXPECT_EQ(handler.events, Events{"open"});
}

TEST_F(Draft76Test, TakesKey3TogetherWithTheFirstFrame) {
  Draft76 driver(request, handler, options);
  driver.start();
  handler.take_written();
  driver.parse(std::string(spec_key3) + bytes({0x00, 'H', 'e', 'l', 'l', 'o', 0xFF}));
  EXPECT_EQ(handler.written, spec_answer);
  EXPECT_EQ(handler.events, (Events{"open", "message:Hello"}));
}

TEST_F(Draft76Test, GivesTheSameResultWhereverKey3AndFramesSplit) {
  const std::string input = std::string(spec_key3) + bytes({0x00, 'a', 0xFF, 0x80, 0x01, 'x'}) +
                            bytes({0x00, 0xC3, 0xA9, 0xFF, 0xFF, 0x00});
  const Events expected{"open", "message:a", "message:\xC3\xA9", "close:1000:"};
  const std::string written = std::string(response_head) + spec_answer + bytes({0xFF, 0x00});
  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); ++j) {
      RecordingHandler split_handler;
      Draft76 driver(request, split_handler, options);
      driver.start();
      driver.parse(std::string_view(input).substr(0, i));
      driver.parse(std::string_view(input).substr(i, j - i));
      driver.parse(std::string_view(input).substr(j));
      ASSERT_EQ(split_handler.events, expected) << "split at " << i << " and " << j;
      ASSERT_EQ(split_handler.written, written) << "split at " << i << " and " << j;
    }
  }
}

TEST_F(Draft76Test, SendsTextFromOnOpenAfterTheAnswer) {
  Draft76 driver(request, handler, options);
  handler.when_open = [&] { EXPECT_TRUE(driver.text("hi")); };
  driver.start();
  driver.parse(std::string_view(spec_key3));
  EXPECT_EQ(handler.written,
            std::string(response_head) + spec_answer + bytes({0x00, 'h', 'i', 0xFF}));
}

TEST_F(Draft76Test, IgnoresInputBeforeStart) {
  Draft76 driver(request, handler, options);
  driver.parse(std::string_view(spec_key3));
  EXPECT_EQ(handler.writes, 0u);
  driver.start();
  driver.parse(std::string_view(spec_key3));
  EXPECT_EQ(handler.written, std::string(response_head) + spec_answer);
}

TEST_F(Draft76Test, UsesSecPrefixedHeadersAndSecureLocation) {
  request.secure = true;
  request.headers.add("Sec-WebSocket-Protocol", "chat");
  options.protocols = {"chat"};
  Draft76 driver(request, handler, options);
  driver.start();
  EXPECT_EQ(handler.written,
            "HTTP/1.1 101 WebSocket Protocol Handshake\r\n"
            "Upgrade: WebSocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Origin: http://example.com\r\n"
            "Sec-WebSocket-Location: wss://example.com/demo\r\n"
            "Sec-WebSocket-Protocol: chat\r\n"
            "\r\n");
  EXPECT_EQ(driver.protocol(), "chat");
}

void expect_rejected(const http::Request& request) {
  RecordingHandler handler;
  Draft76 driver(request, handler, {});
  driver.start();
  EXPECT_EQ(handler.written,
            "HTTP/1.1 400 Bad Request\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 45\r\n"
            "\r\n"
            "Client sent invalid Sec-WebSocket-Key headers");
  EXPECT_EQ(handler.error, Error::bad_request);
  EXPECT_EQ(handler.events.size(), 2u);
  EXPECT_EQ(handler.events.back(), "close:1002:Client sent invalid Sec-WebSocket-Key headers");
  EXPECT_EQ(driver.ready_state(), ReadyState::closed);

  // Nothing more, whatever arrives or is asked.
  const auto writes = handler.writes;
  driver.parse(std::string(spec_key3) + bytes({0x00, 'x', 0xFF}));
  EXPECT_FALSE(driver.text("x"));
  EXPECT_FALSE(driver.close());
  EXPECT_EQ(handler.writes, writes);
  EXPECT_EQ(handler.events.size(), 2u);
}

TEST_F(Draft76Test, RejectsAKeyWithoutSpaces) {
  request.headers.set("Sec-WebSocket-Key1", "155712099");
  expect_rejected(request);
}

TEST_F(Draft76Test, RejectsAKeyWithANonIntegralQuotient) {
  request.headers.set("Sec-WebSocket-Key1", "2 L785 8o% s9Sy9@V. 4<1P5");
  expect_rejected(request);
}

TEST_F(Draft76Test, RejectsAKeyAbove32Bits) {
  request.headers.set("Sec-WebSocket-Key2", "42949672960 ");
  expect_rejected(request);
}

TEST_F(Draft76Test, RejectsAMissingKey) {
  request.headers.remove("Sec-WebSocket-Key2");
  expect_rejected(request);
}

class Draft76OpenTest : public Draft76Test {
 protected:
  void SetUp() override {
    driver.start();
    driver.parse(std::string_view(spec_key3));
    handler.take_written();
    handler.events.clear();
  }
  Draft76 driver{request, handler, options};
};

TEST_F(Draft76OpenTest, AnswersAClosingFrameAndCloses) {
  driver.parse(bytes({0x00, 'b', 'y', 'e', 0xFF, 0xFF, 0x00, 0x00, 'l', 'o', 's', 't', 0xFF}));
  EXPECT_EQ(handler.events, (Events{"message:bye", "close:1000:"}));
  EXPECT_EQ(handler.take_written(), bytes({0xFF, 0x00}));
  EXPECT_EQ(driver.ready_state(), ReadyState::closed);

  driver.parse(bytes({0xFF, 0x00}));
  EXPECT_FALSE(driver.close());
  EXPECT_EQ(handler.written, "");
}

TEST_F(Draft76OpenTest, ReadsAClosingFrameSplitAcrossPackets) {
  driver.parse(bytes({0xFF}));
  EXPECT_EQ(handler.events, Events{});
  driver.parse(bytes({0x00}));
  EXPECT_EQ(handler.events, Events{"close:1000:"});
}

TEST_F(Draft76OpenTest, TreatsAZeroLengthInSeveralGroupsAsClosing) {
  // Section 5.3 tests the decoded length, not the byte that carried it.
  driver.parse(bytes({0xFF, 0x80, 0x00}));
  EXPECT_EQ(handler.events, Events{"close:1000:"});
}

TEST_F(Draft76OpenTest, SkipsNonEmpty0xFFFrames) {
  driver.parse(bytes({0xFF, 0x01, 0x00, 0x00, 'o', 'k', 0xFF}));
  EXPECT_EQ(handler.events, Events{"message:ok"});
  EXPECT_EQ(driver.ready_state(), ReadyState::open);
}

TEST_F(Draft76OpenTest, CloseSendsTheClosingFrame) {
  EXPECT_TRUE(driver.close());
  EXPECT_EQ(handler.take_written(), bytes({0xFF, 0x00}));
  EXPECT_EQ(handler.events, Events{"close:1000:"});
  EXPECT_FALSE(driver.text("late"));
  EXPECT_EQ(handler.written, "");
}

TEST_F(Draft76Test, CloseBeforeKey3SendsNoClosingFrame) {
  // A closing frame before the answer would corrupt the handshake: closing
  // the transport is the only signal then.
  Draft76 driver(request, handler, options);
  driver.start();
  EXPECT_TRUE(driver.close());
  driver.parse(std::string_view(spec_key3));
  EXPECT_EQ(handler.written, response_head);
  EXPECT_EQ(handler.events, Events{"close:1000:"});
}

}  // namespace
}  // namespace faye::driver
