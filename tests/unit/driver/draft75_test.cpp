#include "faye/driver/draft75.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "faye/driver/draft76.hpp"
#include "unit/driver/recording_handler.hpp"

namespace faye::driver {
namespace {

using testing::bytes;
using testing::RecordingHandler;

http::Request hixie_request() {
  http::Request request;
  request.method = "GET";
  request.target = "/socket";
  request.headers = {{"Host", "www.example.com"},
                     {"Connection", "Upgrade"},
                     {"Upgrade", "WebSocket"},
                     {"Origin", "http://www.example.com"}};
  return request;
}

// ---------------------------------------------------------------------------
// Shared examples: the framing both drafts speak, run against Draft75 and
// Draft76 as websocket-driver runs draft75_examples.rb against both.

struct Draft75Traits {
  using Type = Draft75;
  static constexpr const char* name = "Draft75";
  static constexpr const char* version = "hixie-75";
  static constexpr const char* header_prefix = "";
  static http::Request request() { return hixie_request(); }
  static void handshake(Draft75& driver) { driver.start(); }
  static std::string closing_frame() { return ""; }
};

struct Draft76Traits {
  using Type = Draft76;
  static constexpr const char* name = "Draft76";
  static constexpr const char* version = "hixie-76";
  static constexpr const char* header_prefix = "Sec-";
  static http::Request request() {
    http::Request request = hixie_request();
    request.headers.add("Sec-WebSocket-Key1", "18x 6]8vM;54 *(5:  {   U1]8  z [  8");
    request.headers.add("Sec-WebSocket-Key2", "1_ tx7X d  <  nw  334J702) 7]o}` 0");
    return request;
  }
  static void handshake(Draft76& driver) {
    driver.start();
    driver.parse(std::string_view("Tm[K T2u"));
  }
  static std::string closing_frame() { return bytes({0xFF, 0x00}); }
};

template <class Traits>
class DraftProtocol : public ::testing::Test {
 protected:
  using DriverType = typename Traits::Type;

  RecordingHandler handler;
  ServerOptions options;
  http::Request request = Traits::request();
  std::unique_ptr<DriverType> driver;

  void create() { driver = std::make_unique<DriverType>(request, handler, options); }

  // Completes the handshake, then forgets its bytes and events.
  void open() {
    create();
    Traits::handshake(*driver);
    ASSERT_EQ(driver->ready_state(), ReadyState::open);
    handler.take_written();
    handler.events.clear();
  }

  std::vector<std::string> parse(std::string_view data) {
    driver->parse(data);
    return handler.events;
  }

  std::string head() {
    create();
    driver->start();
    return handler.written;
  }
};

struct TraitsName {
  template <class Traits>
  static std::string GetName(int) {
    return Traits::name;
  }
};

using DraftTypes = ::testing::Types<Draft75Traits, Draft76Traits>;
TYPED_TEST_SUITE(DraftProtocol, DraftTypes, TraitsName);

using Events = std::vector<std::string>;

TYPED_TEST(DraftProtocol, ReportsItsVersion) {
  this->create();
  EXPECT_EQ(this->driver->version(), TypeParam::version);
}

TYPED_TEST(DraftProtocol, ParsesTextFrames) {
  this->open();
  EXPECT_EQ(this->parse(bytes({0x00, 'H', 'e', 'l', 'l', 'o', 0xFF})), Events{"message:Hello"});
}

TYPED_TEST(DraftProtocol, ParsesEmptyTextFrames) {
  this->open();
  EXPECT_EQ(this->parse(bytes({0x00, 0xFF})), Events{"message:"});
}

TYPED_TEST(DraftProtocol, ParsesMultipleFramesFromTheSamePacket) {
  this->open();
  EXPECT_EQ(this->parse(bytes({0x00, 'H', 'i', 0xFF, 0x00, 'Y', 'o', 0xFF})),
            (Events{"message:Hi", "message:Yo"}));
}

TYPED_TEST(DraftProtocol, ParsesFramesReceivedInSeveralPackets) {
  this->open();
  EXPECT_EQ(this->parse(bytes({0x00, 'A', 'p', 'p', 'l', 'e'})), Events{});
  EXPECT_EQ(this->parse(bytes({' ', '=', ' ', 0xEF, 0xA3, 0xBF, 0xFF})),
            Events{"message:Apple = \xEF\xA3\xBF"});
}

TYPED_TEST(DraftProtocol, ParsesMultibyteText) {
  this->open();
  // U+00E9, U+20AC and U+1F600: two-, three- and four-byte sequences.
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(this->parse(bytes({0x00}) + text + bytes({0xFF})), Events{"message:" + text});
}

TYPED_TEST(DraftProtocol, DiscardsSentinelFramesOfOtherTypes) {
  // Both drafts, section 4.2: "If /frame type/ is 0x00 ... Otherwise, discard
  // the data". The payload is not text, so it is not validated either.
  this->open();
  EXPECT_EQ(this->parse(bytes({0x66, 'H', 0xC0, 0xFF, 0x00, 'W', 0xFF})), Events{"message:W"});
}

TYPED_TEST(DraftProtocol, SkipsFramesWithALengthHeader) {
  this->open();
  EXPECT_EQ(this->parse(bytes({0x80, 0x02, 'H', 'e', 0x00, 'H', 'e', 'l', 'l', 'o', 0xFF})),
            Events{"message:Hello"});
}

TYPED_TEST(DraftProtocol, SkipsFramesWithMultiGroupLengthsAcrossPackets) {
  this->open();
  // 0x81 0x00 declares 128 bytes; the payload holds the bytes that would
  // mean something outside a length-prefixed frame.
  std::string payload(128, 'x');
  payload[0] = '\xFF';
  payload[1] = '\x00';
  payload[127] = '\xFF';
  EXPECT_EQ(this->parse(bytes({0x80, 0x81})), Events{});
  EXPECT_EQ(this->parse(bytes({0x00}) + payload.substr(0, 60)), Events{});
  EXPECT_EQ(this->parse(payload.substr(60) + bytes({0x00, 'o', 'k', 0xFF})), Events{"message:ok"});
}

TYPED_TEST(DraftProtocol, SkipsHugeDeclaredLengthsWithoutBuffering) {
  this->open();
  // 2^63: nine groups. Skipped frames are never buffered, so any length that
  // fits the accumulator is accepted and simply consumed.
  EXPECT_EQ(this->parse(bytes({0x80, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}) +
                        std::string(100000, '\xFF')),
            Events{});
  EXPECT_EQ(this->driver->ready_state(), ReadyState::open);
}

TYPED_TEST(DraftProtocol, FailsWhenALengthOverflows64Bits) {
  this->open();
  std::string frame = bytes({0x80}) + std::string(10, '\xFF') + bytes({0x01});
  auto events = this->parse(frame);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(this->handler.error, Error::protocol_error);
  EXPECT_EQ(events[1].substr(0, 11), "close:1002:");
  EXPECT_EQ(this->driver->ready_state(), ReadyState::closed);
  EXPECT_EQ(this->handler.written, TypeParam::closing_frame());
}

TYPED_TEST(DraftProtocol, GivesTheSameEventsWhateverTheSplit) {
  this->open();
  const std::string input = bytes({0x00, 'H', 'i', 0xFF}) + bytes({0x80, 0x83, 0x00}) +
                            std::string(384, '\xFF') +  // skipped
                            bytes({0x00, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 0xFF}) +
                            bytes({0x01, 'z', 'z', 0xFF}) +  // discarded
                            bytes({0x00, 0xFF}) + bytes({0x00, 'e', 'n', 'd', 0xFF});
  this->parse(input);
  const Events expected = this->handler.events;
  ASSERT_EQ(expected, (Events{"message:Hi", "message:\xE2\x82\xAC\xF0\x9F\x98\x80",
                              "message:", "message:end"}));

  for (std::size_t i = 0; i <= input.size(); ++i) {
    for (std::size_t j = i; j <= input.size(); j += (j < 20 || j > input.size() - 30) ? 1 : 17) {
      this->open();
      this->parse(input.substr(0, i));
      this->parse(input.substr(i, j - i));
      ASSERT_EQ(this->parse(input.substr(j)), expected) << "split at " << i << " and " << j;
    }
  }

  this->open();
  for (char byte : input) this->parse(std::string_view(&byte, 1));
  EXPECT_EQ(this->handler.events, expected);
}

TYPED_TEST(DraftProtocol, FailsOnInvalidUtf8) {
  this->open();
  auto events = this->parse(bytes({0x00, 0xC3, 0x28, 0xFF, 0x00, 'n', 'o', 0xFF}));
  EXPECT_EQ(events, (Events{"error:" + std::to_string(static_cast<int>(Error::invalid_utf8)) +
                                ":invalid UTF-8 in text message",
                            "close:1007:invalid UTF-8 in text message"}));
  EXPECT_EQ(this->handler.error, Error::invalid_utf8);
  EXPECT_EQ(this->driver->ready_state(), ReadyState::closed);
  EXPECT_EQ(this->handler.written, TypeParam::closing_frame());
}

TYPED_TEST(DraftProtocol, FailsOnInvalidUtf8AsSoonAsItArrives) {
  this->open();
  this->parse(bytes({0x00, 'o', 'k', 0xED, 0xA0, 0x80}));  // a UTF-16 surrogate
  EXPECT_EQ(this->handler.error, Error::invalid_utf8);
  EXPECT_TRUE(this->handler.closed());
}

TYPED_TEST(DraftProtocol, FailsOnTextEndingMidCharacter) {
  this->open();
  this->parse(bytes({0x00, 0xE2, 0x82}));
  EXPECT_FALSE(this->handler.closed());
  this->parse(bytes({0xFF}));
  EXPECT_EQ(this->handler.error, Error::invalid_utf8);
  EXPECT_TRUE(this->handler.closed());
}

TYPED_TEST(DraftProtocol, AcceptsMessagesOfExactlyMaxLength) {
  this->options.max_length = 5;
  this->open();
  this->parse(bytes({0x00, 'H', 'e', 'l'}));
  EXPECT_EQ(this->parse(bytes({'l', 'o', 0xFF, 0x00, 'H', 'e', 'l', 'l', 'o', 0xFF})),
            (Events{"message:Hello", "message:Hello"}));
}

TYPED_TEST(DraftProtocol, FailsAsSoonAsAMessageExceedsMaxLength) {
  this->options.max_length = 5;
  this->open();
  EXPECT_EQ(this->parse(bytes({0x00, 'H', 'e', 'l'})), Events{});
  // No terminator yet: the sixth byte alone is enough to fail.
  auto events = this->parse(bytes({'l', 'o', '!'}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(this->handler.error, Error::message_too_big);
  EXPECT_EQ(events[1].substr(0, 11), "close:1009:");
  EXPECT_EQ(this->handler.written, TypeParam::closing_frame());
}

TYPED_TEST(DraftProtocol, ReportsTheEarliestFaultWhateverTheSplit) {
  // Bad UTF-8 within the limit comes before the byte that exceeds it, so it
  // is the fault reported even when both arrive in one packet.
  this->options.max_length = 3;
  this->open();
  this->parse(bytes({0x00, 'a', 0xC0, 'b', 'c', 'd', 'e'}));
  EXPECT_EQ(this->handler.error, Error::invalid_utf8);
  this->open();
  this->parse(bytes({0x00, 'a', 'b', 'c', 'd', 0xC0}));
  EXPECT_EQ(this->handler.error, Error::message_too_big);
}

TYPED_TEST(DraftProtocol, MaxLengthDoesNotLimitSkippedFrames) {
  this->options.max_length = 5;
  this->open();
  EXPECT_EQ(this->parse(bytes({0x80, 0x0A}) + std::string(10, 'x') + bytes({0x00, 'o', 'k', 0xFF})),
            Events{"message:ok"});
}

TYPED_TEST(DraftProtocol, TextWritesAFrame) {
  this->open();
  EXPECT_TRUE(this->driver->text("Hello"));
  EXPECT_EQ(this->handler.take_written(), bytes({0x00, 'H', 'e', 'l', 'l', 'o', 0xFF}));
  EXPECT_TRUE(this->driver->text("Apple = \xEF\xA3\xBF"));
  EXPECT_EQ(this->handler.take_written(), bytes({0x00}) + "Apple = \xEF\xA3\xBF" + bytes({0xFF}));
  EXPECT_TRUE(this->driver->text(""));
  EXPECT_EQ(this->handler.take_written(), bytes({0x00, 0xFF}));
}

TYPED_TEST(DraftProtocol, TextRefusesAByteThatWouldEndTheFrame) {
  this->open();
  EXPECT_FALSE(
      this->driver->text("a\xFF"
                         "b"));
  EXPECT_EQ(this->handler.written, "");
}

TYPED_TEST(DraftProtocol, RefusesBinaryWithoutWriting) {
  this->open();
  const std::uint8_t data[] = {1, 2, 3};
  EXPECT_FALSE(this->driver->binary(data));
  EXPECT_EQ(this->handler.writes, 0u);
  EXPECT_EQ(this->driver->ready_state(), ReadyState::open);
}

TYPED_TEST(DraftProtocol, RefusesPingAndPongWithoutWriting) {
  this->open();
  EXPECT_FALSE(this->driver->ping());
  EXPECT_FALSE(this->driver->pong());
  EXPECT_EQ(this->handler.writes, 0u);
}

TYPED_TEST(DraftProtocol, CloseClosesAtOnce) {
  this->open();
  EXPECT_TRUE(this->driver->close(4000, "ignored: the drafts carry no code"));
  EXPECT_EQ(this->handler.events, Events{"close:1000:"});
  EXPECT_EQ(this->driver->ready_state(), ReadyState::closed);
  EXPECT_EQ(this->handler.take_written(), TypeParam::closing_frame());

  EXPECT_FALSE(this->driver->close());
  EXPECT_EQ(this->handler.writes, 0u);
  EXPECT_EQ(this->handler.events, Events{"close:1000:"});
}

TYPED_TEST(DraftProtocol, IgnoresEverythingAfterClose) {
  this->open();
  this->driver->close();
  this->handler.take_written();
  const auto writes = this->handler.writes;
  EXPECT_EQ(this->parse(bytes({0x00, 'H', 'i', 0xFF})), Events{"close:1000:"});
  EXPECT_FALSE(this->driver->text("Hi"));
  EXPECT_EQ(this->handler.writes, writes);
}

TYPED_TEST(DraftProtocol, StopsParsingWhenTheHandlerCloses) {
  this->open();
  this->handler.when_message = [this](const Message&) { this->driver->close(); };
  EXPECT_EQ(this->parse(bytes({0x00, 'a', 0xFF, 0x00, 'b', 0xFF})),
            (Events{"message:a", "close:1000:"}));
}

TYPED_TEST(DraftProtocol, LetsTheHandlerReplyFromOnMessage) {
  this->open();
  this->handler.when_message = [this](const Message& message) {
    EXPECT_TRUE(this->driver->text(message.text()));
  };
  this->parse(bytes({0x00, 'a', 0xFF, 0x00, 'b'}));
  this->parse(bytes({'c', 0xFF}));
  EXPECT_EQ(this->handler.written, bytes({0x00, 'a', 0xFF, 0x00, 'b', 'c', 0xFF}));
}

TYPED_TEST(DraftProtocol, CloseFromOnErrorSendsNothingMore) {
  this->open();
  this->handler.when_error = [this] { EXPECT_FALSE(this->driver->close()); };
  this->parse(bytes({0x00, 0xFE, 0xFF}));
  EXPECT_EQ(this->handler.events.back().substr(0, 11), "close:1007:");
  EXPECT_EQ(this->handler.written, TypeParam::closing_frame());
}

TYPED_TEST(DraftProtocol, LocationUsesWssWhenSecure) {
  this->request.secure = true;
  this->request.target = "/chat?room=1";
  EXPECT_NE(this->head().find(std::string(TypeParam::header_prefix) +
                              "WebSocket-Location: wss://www.example.com/chat?room=1\r\n"),
            std::string::npos);
}

TYPED_TEST(DraftProtocol, EchoesASupportedSubprotocol) {
  this->request.headers.add(std::string(TypeParam::header_prefix) + "WebSocket-Protocol",
                            "chat, superchat");
  this->options.protocols = {"superchat", "other"};
  std::string head = this->head();
  EXPECT_NE(head.find(std::string(TypeParam::header_prefix) + "WebSocket-Protocol: superchat\r\n"),
            std::string::npos);
  EXPECT_EQ(this->driver->protocol(), "superchat");
}

TYPED_TEST(DraftProtocol, OmitsAnUnsupportedSubprotocol) {
  this->request.headers.add(std::string(TypeParam::header_prefix) + "WebSocket-Protocol", "chat");
  this->options.protocols = {"superchat"};
  EXPECT_EQ(this->head().find("Protocol:"), std::string::npos);
  EXPECT_EQ(this->driver->protocol(), "");
}

TYPED_TEST(DraftProtocol, AddsExtraHeadersBeforeTheBlankLine) {
  this->options.headers = {{"Set-Cookie", "a=1"}};
  std::string head = this->head();
  EXPECT_NE(head.find("\r\nSet-Cookie: a=1\r\n\r\n"), std::string::npos);
}

// ---------------------------------------------------------------------------
// Draft-75 only.

class Draft75Test : public ::testing::Test {
 protected:
  RecordingHandler handler;
  http::Request request = hixie_request();
  ServerOptions options;
};

TEST_F(Draft75Test, StartsInTheConnectingState) {
  Draft75 driver(request, handler, options);
  EXPECT_EQ(driver.ready_state(), ReadyState::connecting);
  EXPECT_FALSE(driver.text("early"));
  driver.parse(bytes({0x00, 'H', 0xFF}));
  EXPECT_EQ(handler.events, Events{});
  EXPECT_EQ(handler.writes, 0u);
}

TEST_F(Draft75Test, StartWritesTheHandshakeAndOpens) {
  request.headers.add("WebSocket-Protocol", "chat");
  options.protocols = {"chat"};
  Draft75 driver(request, handler, options);
  driver.start();
  EXPECT_EQ(handler.written,
            "HTTP/1.1 101 Web Socket Protocol Handshake\r\n"
            "Upgrade: WebSocket\r\n"
            "Connection: Upgrade\r\n"
            "WebSocket-Origin: http://www.example.com\r\n"
            "WebSocket-Location: ws://www.example.com/socket\r\n"
            "WebSocket-Protocol: chat\r\n"
            "\r\n");
  EXPECT_EQ(handler.events, Events{"open"});
  EXPECT_EQ(driver.ready_state(), ReadyState::open);

  driver.start();  // once only
  EXPECT_EQ(handler.writes, 1u);
  EXPECT_EQ(handler.events, Events{"open"});
}

TEST_F(Draft75Test, TreatsAnEmpty0xFFFrameAsAnyOtherSkippedFrame) {
  // Draft-75 has no closing frame: 0xFF 0x00 is a length-prefixed frame of
  // length zero.
  Draft75 driver(request, handler, options);
  driver.start();
  handler.take_written();
  driver.parse(bytes({0xFF, 0x00, 0x00, 'H', 'i', 0xFF}));
  EXPECT_EQ(handler.events, (Events{"open", "message:Hi"}));
  EXPECT_EQ(driver.ready_state(), ReadyState::open);
  EXPECT_EQ(handler.written, "");
}

TEST_F(Draft75Test, CloseBeforeStartWritesNothing) {
  Draft75 driver(request, handler, options);
  EXPECT_TRUE(driver.close());
  driver.start();
  EXPECT_EQ(handler.writes, 0u);
  EXPECT_EQ(handler.events, Events{"close:1000:"});
}

TEST_F(Draft75Test, ReleasesALargeReassemblyBufferAfterItsMessage) {
  Draft75 driver(request, handler, options);
  driver.start();
  std::string big(200000, 'a');
  driver.parse(bytes({0x00}) + big.substr(0, 1000));
  driver.parse(big.substr(1000) + bytes({0xFF}));
  ASSERT_EQ(handler.messages.size(), 1u);
  EXPECT_EQ(handler.messages[0], big);
  driver.parse(bytes({0x00, 'x'}));
  driver.parse(bytes({'y', 0xFF}));
  EXPECT_EQ(handler.messages.back(), "xy");
}

}  // namespace
}  // namespace faye::driver
