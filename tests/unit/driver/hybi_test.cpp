#include "faye/driver/hybi.hpp"

#include <gtest/gtest.h>

#include "test_peer.hpp"

namespace faye::driver {
namespace {

using test::close_payload;
using test::frame;
using test::hybi_request;

// What every RFC 6455 connection's driver costs (driver/hybi.hpp): on 64-bit,
// 72 bytes, one 80-byte glibc chunk.
static_assert(sizeof(void*) != 8 || sizeof(Hybi) <= 72);

constexpr std::uint8_t kText = 0x81, kBinary = 0x82, kClose = 0x88, kPing = 0x89, kPong = 0x8A;

// ---- Server handshake ------------------------------------------------------

struct Handshake {
  test::Recorder handler;
  std::unique_ptr<Hybi> driver;

  explicit Handshake(const http::Request& request, ServerOptions options = {}) {
    driver = std::make_unique<Hybi>(request, handler, options);
    driver->start();
  }
};

TEST(HybiHandshake, AcceptsAValidRequest) {
  Handshake h(hybi_request());
  EXPECT_EQ(h.handler.written,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
  EXPECT_EQ(h.handler.events, std::vector<std::string>{"open"});
  EXPECT_EQ(h.driver->ready_state(), ReadyState::open);
  EXPECT_EQ(h.driver->version(), "hybi-13");
}

TEST(HybiHandshake, SpeaksVersionsSevenAndEight) {
  EXPECT_EQ(Handshake(hybi_request("7")).driver->version(), "hybi-7");
  EXPECT_EQ(Handshake(hybi_request("8")).driver->version(), "hybi-8");
}

TEST(HybiHandshake, AnswersUnknownVersionsWith426) {
  for (const char* version : {"6", "9", "14", "", "13x", "-13"}) {
    Handshake h(hybi_request(version));
    EXPECT_TRUE(h.handler.written.starts_with("HTTP/1.1 426 Upgrade Required\r\n")) << version;
    EXPECT_NE(h.handler.written.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
    EXPECT_EQ(h.handler.error, Error::unsupported_version);
    EXPECT_EQ(h.driver->ready_state(), ReadyState::closed);
    EXPECT_EQ(h.handler.events.back(), "close:1002");
  }
}

TEST(HybiHandshake, AnswersMalformedRequestsWith400) {
  auto expect_400 = [](http::Request request, const char* what) {
    Handshake h(request);
    EXPECT_TRUE(h.handler.written.starts_with("HTTP/1.1 400 Bad Request\r\n")) << what;
    EXPECT_EQ(h.handler.error, Error::bad_request) << what;
    EXPECT_EQ(h.driver->ready_state(), ReadyState::closed) << what;
    EXPECT_FALSE(h.driver->text("x"));
  };
  http::Request r = hybi_request();
  r.method = "POST";
  expect_400(r, "POST");
  r = hybi_request();
  r.version_minor = 0;
  expect_400(r, "HTTP/1.0");
  r = hybi_request();
  r.headers.remove("Host");
  expect_400(r, "no Host");
  r = hybi_request();
  r.headers.set("Upgrade", "h2c");
  expect_400(r, "Upgrade");
  r = hybi_request();
  r.headers.set("Connection", "keep-alive");
  expect_400(r, "Connection");
  r = hybi_request();
  r.headers.remove("Sec-WebSocket-Key");
  expect_400(r, "no key");
  r = hybi_request();
  r.headers.set("Sec-WebSocket-Key", "short");
  expect_400(r, "bad key");
}

TEST(HybiHandshake, AcceptsTokenListsCaseInsensitively) {
  http::Request r = hybi_request();
  r.headers.set("Connection", "keep-alive, upgrade");
  r.headers.set("Upgrade", "WebSocket");
  EXPECT_EQ(Handshake(r).driver->ready_state(), ReadyState::open);
}

TEST(HybiHandshake, PicksTheClientsFirstSupportedSubprotocol) {
  http::Request r = hybi_request();
  r.headers.add("Sec-WebSocket-Protocol", "soap, wamp");
  r.headers.add("Sec-WebSocket-Protocol", "chat");
  Handshake h(r, {.protocols = {"chat", "wamp"}});
  EXPECT_EQ(h.driver->protocol(), "wamp");
  EXPECT_NE(h.handler.written.find("Sec-WebSocket-Protocol: wamp\r\n"), std::string::npos);

  Handshake none(r, {.protocols = {"mqtt"}});
  EXPECT_EQ(none.driver->protocol(), "");
  EXPECT_EQ(none.handler.written.find("Sec-WebSocket-Protocol"), std::string::npos);
  EXPECT_EQ(none.driver->ready_state(), ReadyState::open);
}

TEST(HybiHandshake, AddsCustomResponseHeaders) {
  Handshake h(hybi_request(), {.headers = {{"Set-Cookie", "a=1"}}});
  EXPECT_TRUE(h.handler.written.ends_with("\r\nSet-Cookie: a=1\r\n\r\n")) << h.handler.written;
}

// ---- Framing, server role ----------------------------------------------------

class HybiServer : public ::testing::Test {
 protected:
  test::Recorder handler;
  std::unique_ptr<Hybi> driver;

  void SetUp() override { open({}); }

  void open(ServerOptions options) {
    handler = {};
    driver = std::make_unique<Hybi>(hybi_request(), handler, options);
    driver->start();
    handler.take_written();
    handler.events.clear();
  }
  void parse(const std::string& bytes) { driver->parse(bytes); }

  void expect_failure(const std::string& input, std::uint16_t code, Error error) {
    parse(input);
    EXPECT_EQ(handler.error, error);
    EXPECT_EQ(handler.close_code, code);
    EXPECT_EQ(driver->ready_state(), ReadyState::closed);
    // The peer is told why, with an unmasked close frame carrying the code.
    ASSERT_GE(handler.written.size(), 4u);
    EXPECT_EQ(static_cast<std::uint8_t>(handler.written[0]), kClose);
    EXPECT_EQ(static_cast<std::uint8_t>(handler.written[2]), code >> 8);
    EXPECT_EQ(static_cast<std::uint8_t>(handler.written[3]), code & 0xFF);
    EXPECT_EQ(handler.events.back(), "close:" + std::to_string(code));
  }
};

TEST_F(HybiServer, ReceivesMaskedText) {
  // RFC 6455 5.7: a single-frame masked text message.
  parse(std::string("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11));
  EXPECT_EQ(handler.events, std::vector<std::string>{"text:Hello"});
}

TEST_F(HybiServer, ReceivesBinaryOfEveryLengthEncoding) {
  for (std::size_t size : {0u, 125u, 126u, 65535u, 65536u, 200000u}) {
    handler.messages.clear();
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 31);
    parse(frame(kBinary, payload));
    ASSERT_EQ(handler.messages.size(), 1u) << size;
    EXPECT_EQ(handler.messages[0], payload) << size;
  }
}

// A handler that keeps what write_in_place() filled in, frame by frame.
struct InPlace final : test::Recorder {
  void write_in_place(std::size_t size, Fill fill, const void* context) override {
    std::string frame(size + 1, '\xEE');  // one guard byte: exactly `size` are written
    fill(reinterpret_cast<std::uint8_t*>(frame.data()), context);
    EXPECT_EQ(frame.back(), '\xEE');
    frame.pop_back();
    frames.push_back(frame);
  }
  std::vector<std::string> frames;
};

// A frame of up to 1 KiB of payload is assembled where the transport keeps
// its output; a larger one is written as its header, then its payload; a
// transport that doesn't take frames in place gets the same bytes in one
// write().
TEST_F(HybiServer, WritesSmallFramesInPlace) {
  InPlace transport;
  Hybi server(hybi_request(), transport);
  server.start();
  transport.take_written();
  const std::string text(125, 't');
  EXPECT_TRUE(server.text(text));
  EXPECT_TRUE(server.binary(as_bytes(std::string_view("ab"))));
  EXPECT_TRUE(server.text(""));
  EXPECT_EQ(transport.frames, (std::vector<std::string>{"\x81\x7D" + text,
                                                        "\x82\x02"
                                                        "ab",
                                                        std::string("\x81\x00", 2)}));
  EXPECT_TRUE(server.text(std::string(126, 'u')));
  EXPECT_TRUE(server.ping(as_bytes(std::string_view("p"))));
  EXPECT_TRUE(server.binary(as_bytes(std::string(1024, 'k'))));
  ASSERT_EQ(transport.frames.size(), 6u);
  EXPECT_EQ(transport.frames[3], std::string("\x81\x7E\x00\x7E", 4) + std::string(126, 'u'));
  EXPECT_EQ(transport.frames[4], "\x89\x01p");
  EXPECT_EQ(transport.frames[5], std::string("\x82\x7E\x04\x00", 4) + std::string(1024, 'k'));
  EXPECT_EQ(transport.take_written(), "");
  EXPECT_TRUE(server.binary(as_bytes(std::string(1025, 'l'))));
  EXPECT_EQ(transport.frames.size(), 6u);
  EXPECT_EQ(transport.take_written(), std::string("\x82\x7E\x04\x01", 4) + std::string(1025, 'l'));

  const auto writes = handler.writes;
  EXPECT_TRUE(driver->text(text));
  EXPECT_EQ(handler.writes, writes + 1);
  EXPECT_EQ(handler.take_written(), "\x81\x7D" + text);
}

TEST(DriverHandler, FillsABufferOfItsOwnForWriteByDefault) {
  test::Recorder handler;
  for (std::size_t size : {0u, 1u, 256u, 257u, 5000u}) {
    handler.write_in_place(
        size,
        [](std::uint8_t* at, const void* context) {
          const auto n = *static_cast<const std::size_t*>(context);
          for (std::size_t i = 0; i < n; ++i) at[i] = static_cast<std::uint8_t>('a' + i % 26);
        },
        &size);
    std::string expected;
    for (std::size_t i = 0; i < size; ++i) expected += static_cast<char>('a' + i % 26);
    EXPECT_EQ(handler.take_written(), expected) << size;
  }
  EXPECT_EQ(handler.writes, 5u);
}

TEST_F(HybiServer, SendsUnmaskedFrames) {
  EXPECT_TRUE(driver->text("Hello"));
  EXPECT_EQ(handler.take_written(), "\x81\x05Hello");
  std::string big(256, 'x');
  EXPECT_TRUE(driver->binary(as_bytes(big)));
  EXPECT_EQ(handler.take_written(), std::string("\x82\x7E\x01\x00", 4) + big);
  std::string huge(65536, 'y');
  EXPECT_TRUE(driver->binary(as_bytes(huge)));
  EXPECT_EQ(handler.take_written(), std::string("\x82\x7F\0\0\0\0\0\x01\0\0", 10) + huge);
}

TEST_F(HybiServer, ReassemblesFragmentsAroundControlFrames) {
  parse(frame(0x01, "Hel") + frame(kPing, "hi") + frame(0x00, "l") + frame(0x80, "o"));
  EXPECT_EQ(handler.events, (std::vector<std::string>{"ping:hi", "text:Hello"}));
  EXPECT_EQ(handler.take_written(), "\x8A\x02hi");  // the pong, same payload
}

TEST_F(HybiServer, GivesTheSameEventsForEverySplitOfTheInput) {
  std::string input = frame(kText, "κόσμε") + frame(kPing, "p") + frame(0x02, "ab") +
                      frame(kPong, "") + frame(0x80, std::string(300, 'c')) +
                      frame(kText, std::string(70000, 'd')) + frame(kClose, close_payload(1000, "bye"));
  parse(input);
  const auto expected_events = handler.events;
  const auto expected_output = handler.take_written();
  ASSERT_EQ(expected_events.size(), 6u);
  ASSERT_EQ(expected_events.back(), "close:1000");

  for (std::size_t split = 0; split <= input.size(); split += (split < 400 ? 1 : 997)) {
    open({});
    parse(input.substr(0, split));
    parse(input.substr(split));
    ASSERT_EQ(handler.events, expected_events) << "split at " << split;
    ASSERT_EQ(handler.take_written(), expected_output) << "split at " << split;
  }
  open({});
  for (char byte : input) parse(std::string(1, byte));
  EXPECT_EQ(handler.events, expected_events);
  EXPECT_EQ(handler.take_written(), expected_output);
}

TEST_F(HybiServer, ClosesWith1002OnUnmaskedFrames) {
  expect_failure(frame(kText, "hi", std::nullopt), 1002, Error::protocol_error);
}

TEST_F(HybiServer, ClosesWith1002OnRsvBitsWithoutExtension) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10}) {
    open({});
    expect_failure(frame(kText | rsv, "hi"), 1002, Error::protocol_error);
  }
}

TEST_F(HybiServer, ClosesWith1002OnReservedOpcodes) {
  for (std::uint8_t opcode : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    open({});
    expect_failure(frame(0x80 | opcode, ""), 1002, Error::protocol_error);
  }
}

TEST_F(HybiServer, ClosesWith1002OnBadControlFrames) {
  expect_failure(frame(0x09, "fragmented ping"), 1002, Error::protocol_error);
  open({});
  expect_failure(frame(kPing, std::string(126, 'x')), 1002, Error::protocol_error);
  open({});
  expect_failure(frame(kClose, "x"), 1002, Error::protocol_error);
}

TEST_F(HybiServer, ClosesWith1002OnContinuationWithoutMessage) {
  expect_failure(frame(0x80, "orphan"), 1002, Error::protocol_error);
}

TEST_F(HybiServer, ClosesWith1002OnNewMessageInsideFragmentedOne) {
  expect_failure(frame(0x01, "a") + frame(kText, "b"), 1002, Error::protocol_error);
}

TEST_F(HybiServer, ClosesWith1002OnSixtyFourBitLengthWithTopBit) {
  expect_failure(std::string("\x82\xFF\x80\0\0\0\0\0\0\x01\1\2\3\4", 14), 1002,
                 Error::protocol_error);
}

TEST_F(HybiServer, EnforcesMaxLengthFromTheHeader) {
  open({.max_length = 10});
  parse(frame(kText, "0123456789"));
  EXPECT_EQ(handler.messages.size(), 1u);
  // Only the header of an oversized frame is needed to refuse it.
  std::string oversized = frame(kBinary, std::string(11, 'x'));
  expect_failure(oversized.substr(0, 6), 1009, Error::message_too_big);
}

TEST_F(HybiServer, RefusesAWholeOversizedFrameAsItsHeaderAlone) {
  // The whole frame in one read takes the fast path's checks, not the
  // parser's: the answer must be the same.
  open({.max_length = 10});
  expect_failure(frame(kText, std::string(11, 'x')), 1009, Error::message_too_big);
  EXPECT_TRUE(handler.messages.empty());
}

TEST_F(HybiServer, DropsWholeMessagesArrivingAfterItsClose) {
  EXPECT_TRUE(driver->close());
  handler.take_written();
  parse(frame(kText, "late") + frame(kBinary, "late"));
  EXPECT_TRUE(handler.messages.empty());
  EXPECT_EQ(driver->ready_state(), ReadyState::closing);
}

TEST_F(HybiServer, EnforcesMaxLengthAcrossFragments) {
  open({.max_length = 10});
  expect_failure(frame(0x02, "012345") + frame(0x80, "6789A"), 1009, Error::message_too_big);
  EXPECT_TRUE(handler.messages.empty());
}

TEST_F(HybiServer, RefusesAHugeDeclaredLengthWithoutBuffering) {
  expect_failure(std::string("\x82\xFF\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xFF\1\2\3\4", 14), 1009,
                 Error::message_too_big);
}

TEST_F(HybiServer, FailsFastOnInvalidUtf8InAFragment) {
  // The first fragment already holds an impossible sequence: close with 1007
  // before the message is complete.
  expect_failure(frame(0x01, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xF4\x90\x80\x80"),
                 1007, Error::invalid_utf8);
}

TEST_F(HybiServer, FailsFastOnInvalidUtf8WithinAPartialFrame) {
  std::string bad = frame(kText, std::string(100, 'a') + "\xFF" + std::string(100, 'a'));
  expect_failure(bad.substr(0, 120), 1007, Error::invalid_utf8);
}

TEST_F(HybiServer, ValidatesUtf8SplitAcrossFragments) {
  parse(frame(0x01, "\xCE") + frame(0x80, "\xBA"));
  EXPECT_EQ(handler.messages, std::vector<std::string>{"κ"});
  expect_failure(frame(0x01, "\xCE") + frame(0x80, "\x41"), 1007, Error::invalid_utf8);
}

TEST_F(HybiServer, FailsTextEndingInsideACharacter) {
  expect_failure(frame(kText, "\xE2\x82"), 1007, Error::invalid_utf8);
}

TEST_F(HybiServer, AcceptsInvalidUtf8InBinary) {
  parse(frame(kBinary, "\xFF\xFE"));
  EXPECT_EQ(handler.messages, std::vector<std::string>{"\xFF\xFE"});
}

TEST_F(HybiServer, EchoesTheCloseCode) {
  for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999}) {
    open({});
    parse(frame(kClose, close_payload(code, "reason")));
    EXPECT_EQ(handler.close_code, code);
    EXPECT_EQ(handler.close_reason, "reason");
    EXPECT_EQ(handler.take_written(), frame(kClose, close_payload(code, "reason"), std::nullopt));
    EXPECT_EQ(driver->ready_state(), ReadyState::closed);
  }
}

TEST_F(HybiServer, AnswersAnEmptyCloseWithAnEmptyClose) {
  parse(frame(kClose, ""));
  EXPECT_EQ(handler.close_code, close_code::no_status);
  EXPECT_EQ(handler.take_written(), std::string("\x88\x00", 2));
}

TEST_F(HybiServer, ClosesWith1002OnInvalidCloseCodes) {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    open({});
    expect_failure(frame(kClose, close_payload(code)), 1002, Error::protocol_error);
  }
}

TEST_F(HybiServer, ClosesWith1007OnInvalidUtf8CloseReason) {
  expect_failure(frame(kClose, close_payload(1000, "\xCE\xBA\xE1\xBD")), 1007,
                 Error::invalid_utf8);
}

TEST_F(HybiServer, SendsNothingAndIgnoresDataAfterClose) {
  parse(frame(kClose, close_payload(1000)) + frame(kText, "late"));
  handler.take_written();
  EXPECT_EQ(handler.messages.size(), 0u);
  EXPECT_FALSE(driver->text("x"));
  EXPECT_FALSE(driver->binary({}));
  EXPECT_FALSE(driver->ping());
  EXPECT_FALSE(driver->close());
  parse(frame(kText, "later"));
  EXPECT_EQ(handler.written, "");
  EXPECT_EQ(handler.events, std::vector<std::string>{"close:1000"});
}

TEST_F(HybiServer, ClosingHandshakeStartedByUs) {
  EXPECT_TRUE(driver->close(4000, "done"));
  EXPECT_EQ(handler.take_written(), frame(kClose, close_payload(4000, "done"), std::nullopt));
  EXPECT_EQ(driver->ready_state(), ReadyState::closing);
  EXPECT_FALSE(driver->text("no more"));
  parse(frame(kText, "dropped while closing"));
  EXPECT_TRUE(handler.messages.empty());
  parse(frame(kClose, close_payload(4000, "done")));
  EXPECT_EQ(handler.written, "");  // no second close frame
  EXPECT_EQ(handler.events, std::vector<std::string>{"close:4000"});
  EXPECT_EQ(driver->ready_state(), ReadyState::closed);
}

TEST_F(HybiServer, RefusesToSendInvalidCloseCodesOrLongReasons) {
  EXPECT_FALSE(driver->close(1006));
  EXPECT_FALSE(driver->close(999));
  EXPECT_FALSE(driver->close(1000, std::string(124, 'r')));
  EXPECT_EQ(handler.written, "");
  EXPECT_TRUE(driver->close(1000, std::string(123, 'r')));
}

TEST_F(HybiServer, MatchesPongsToPings) {
  int first = 0, second = 0;
  EXPECT_TRUE(driver->ping(as_bytes("1"), [&] { ++first; }));
  EXPECT_TRUE(driver->ping(as_bytes("2"), [&] { ++second; }));
  EXPECT_EQ(handler.take_written(),
            "\x89\x01"
            "1"
            "\x89\x01"
            "2");
  parse(frame(kPong, "2"));
  EXPECT_EQ(second, 1);
  EXPECT_EQ(first, 0);
  parse(frame(kPong, "unsolicited") + frame(kPong, "2"));
  EXPECT_EQ(second, 1);
  parse(frame(kPong, "1"));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(handler.events.size(), 4u);  // every pong is still reported
}

TEST_F(HybiServer, RefusesOversizedPings) {
  EXPECT_FALSE(driver->ping(as_bytes(std::string(126, 'p'))));
  EXPECT_TRUE(driver->ping(as_bytes(std::string(125, 'p'))));
  EXPECT_TRUE(driver->pong(as_bytes("unsolicited")));
}

TEST_F(HybiServer, SendsCallerFragmentedMessages) {
  EXPECT_TRUE(driver->frame(Opcode::text, as_bytes("He"), false));
  EXPECT_TRUE(driver->frame(Opcode::continuation, as_bytes("llo"), true));
  EXPECT_EQ(handler.take_written(), "\x01\x02He\x80\x03llo");
  EXPECT_FALSE(driver->frame(Opcode::ping, {}, true));
}

TEST_F(HybiServer, ReleasesLargeReassemblyBuffers) {
  parse(frame(0x02, std::string(100000, 'a')) + frame(0x80, "b"));
  ASSERT_EQ(handler.messages.size(), 1u);
  EXPECT_EQ(handler.messages[0].size(), 100001u);
  EXPECT_EQ(driver->memory_usage(), 0u);
  parse(frame(kText, "after"));
  EXPECT_EQ(handler.messages.back(), "after");
}

// An idle connection holds no reassembly state: what input split across
// reads needs is held only until the parser is back at a frame boundary
// with no message in progress.
TEST_F(HybiServer, HoldsPartialInputOnlyUntilItIsComplete) {
  const std::string fragmented = frame(0x01, "Hel") + frame(0x80, "lo");
  parse(fragmented.substr(0, 10));  // a first fragment and a header's first byte
  EXPECT_GT(driver->memory_usage(), 0u);
  parse(fragmented.substr(10));
  EXPECT_EQ(handler.messages.back(), "Hello");
  EXPECT_EQ(driver->memory_usage(), 0u);

  const std::string ping = frame(kPing, "split");
  parse(ping.substr(0, ping.size() - 2));  // a control payload split across reads
  EXPECT_GT(driver->memory_usage(), 0u);
  parse(ping.substr(ping.size() - 2));
  EXPECT_EQ(handler.events.back(), "ping:split");
  EXPECT_EQ(driver->memory_usage(), 0u);

  const std::string text = frame(kText, std::string(300, 'x'));
  parse(text.substr(0, 1));  // a header's first byte
  EXPECT_GT(driver->memory_usage(), 0u);
  parse(text.substr(1, 100));  // a single frame arriving in pieces
  EXPECT_GT(driver->memory_usage(), 0u);
  parse(text.substr(101));
  EXPECT_EQ(handler.messages.back(), std::string(300, 'x'));
  EXPECT_EQ(driver->memory_usage(), 0u);
}

// Pending pings, partial input and (elsewhere) extensions share one box:
// input reaching a frame boundary must not take a ping's callback with it,
// and the box goes once the pong has come and nothing else is held.
TEST_F(HybiServer, KeepsAPendingPingAcrossFrameBoundaries) {
  int pongs = 0;
  ASSERT_TRUE(driver->ping(as_bytes("keep"), [&] { ++pongs; }));
  const std::size_t with_ping = driver->memory_usage();
  EXPECT_GT(with_ping, 0u);
  const std::string fragmented = frame(0x01, "Hel") + frame(0x80, "lo");
  parse(fragmented.substr(0, 10));
  parse(fragmented.substr(10));
  EXPECT_EQ(handler.messages.back(), "Hello");
  EXPECT_EQ(driver->memory_usage(), with_ping);
  const std::string pong = frame(kPong, "keep");
  parse(pong.substr(0, pong.size() - 2));  // the pong itself split across reads
  parse(pong.substr(pong.size() - 2));
  EXPECT_EQ(pongs, 1);
  EXPECT_EQ(driver->memory_usage(), 0u);
}

}  // namespace
}  // namespace faye::driver
