#include "faye/driver/permessage_deflate.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <stdexcept>

#include "driver_pair.hpp"
#include "faye/driver/client.hpp"
#include "faye/driver/handshake.hpp"
#include "faye/driver/hybi.hpp"
#include "recording_handler.hpp"
#include "test_peer.hpp"

namespace faye::driver {
namespace {

using test::DriverPair;
using test::frame;
using testing::bytes;

std::shared_ptr<PermessageDeflate> deflate(DeflateOptions options = {}) {
  return std::make_shared<PermessageDeflate>(options);
}

// ---- Negotiation, server side (RFC 7692 7) ----------------------------------

// The server's Sec-WebSocket-Extensions answer to `offer`, "" if declined.
std::string respond(std::string_view offer, DeflateOptions options = {}) {
  Extensions extensions;
  std::string response, error;
  EXPECT_TRUE(extensions.generate_response({deflate(options)}, offer, response, error)) << error;
  return response;
}

TEST(DeflateServer, AcceptsAPlainOffer) {
  EXPECT_EQ(respond("permessage-deflate"), "permessage-deflate");
}

TEST(DeflateServer, ServerNoContextTakeover) {  // 7.1.1.1
  EXPECT_EQ(respond("permessage-deflate; server_no_context_takeover"),
            "permessage-deflate; server_no_context_takeover");
  // The server may decide it alone.
  EXPECT_EQ(respond("permessage-deflate", {.no_context_takeover = true}),
            "permessage-deflate; server_no_context_takeover");
}

TEST(DeflateServer, ClientNoContextTakeover) {  // 7.1.1.2
  EXPECT_EQ(respond("permessage-deflate; client_no_context_takeover"),
            "permessage-deflate; client_no_context_takeover");
  EXPECT_EQ(respond("permessage-deflate", {.request_no_context_takeover = true}),
            "permessage-deflate; client_no_context_takeover");
}

TEST(DeflateServer, ServerMaxWindowBits) {  // 7.1.2.1
  EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=10"),
            "permessage-deflate; server_max_window_bits=10");
  // The same or a smaller value.
  EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=10", {.max_window_bits = 9}),
            "permessage-deflate; server_max_window_bits=9");
  EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=8"),
            "permessage-deflate; server_max_window_bits=8");
  // Unrequested, the server may still announce its smaller window.
  EXPECT_EQ(respond("permessage-deflate", {.max_window_bits = 12}),
            "permessage-deflate; server_max_window_bits=12");
  EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=\"11\""),
            "permessage-deflate; server_max_window_bits=11");
}

TEST(DeflateServer, ClientMaxWindowBits) {  // 7.1.2.2
  // Valueless: the client can limit its window; nothing to tell it.
  EXPECT_EQ(respond("permessage-deflate; client_max_window_bits"), "permessage-deflate");
  EXPECT_EQ(respond("permessage-deflate; client_max_window_bits", {.request_max_window_bits = 10}),
            "permessage-deflate; client_max_window_bits=10");
  // With a value: an upper bound, confirmed or lowered.
  EXPECT_EQ(respond("permessage-deflate; client_max_window_bits=12"),
            "permessage-deflate; client_max_window_bits=12");
  EXPECT_EQ(respond("permessage-deflate; client_max_window_bits=12", {.request_max_window_bits = 9}),
            "permessage-deflate; client_max_window_bits=9");
  EXPECT_EQ(respond("permessage-deflate; client_max_window_bits=9", {.request_max_window_bits = 12}),
            "permessage-deflate; client_max_window_bits=9");
  // Not offered: the response MUST NOT name it.
  EXPECT_EQ(respond("permessage-deflate", {.request_max_window_bits = 9}), "permessage-deflate");
}

TEST(DeflateServer, CombinesEveryParameter) {
  EXPECT_EQ(respond("permessage-deflate; client_no_context_takeover; server_no_context_takeover; "
                    "server_max_window_bits=10; client_max_window_bits",
                    {.max_window_bits = 12, .request_max_window_bits = 11}),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=11");
}

TEST(DeflateServer, DeclinesInvalidOffers) {
  for (const char* offer : {
           "permessage-deflate; server_max_window_bits=7",
           "permessage-deflate; server_max_window_bits=16",
           "permessage-deflate; server_max_window_bits=08",
           "permessage-deflate; server_max_window_bits=1e1",
           "permessage-deflate; server_max_window_bits=-9",
           "permessage-deflate; server_max_window_bits",
           "permessage-deflate; client_max_window_bits=7",
           "permessage-deflate; client_max_window_bits=16",
           "permessage-deflate; client_max_window_bits=abc",
           "permessage-deflate; server_no_context_takeover=1",
           "permessage-deflate; client_no_context_takeover=true",
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
           "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
           "permessage-deflate; mystery",
       }) {
    EXPECT_EQ(respond(offer), "") << offer;
  }
}

TEST(DeflateServer, PicksTheFirstAcceptableOffer) {
  EXPECT_EQ(respond("permessage-deflate; server_max_window_bits=16, "
                    "permessage-deflate; mystery, "
                    "permessage-deflate; server_max_window_bits=10, "
                    "permessage-deflate"),
            "permessage-deflate; server_max_window_bits=10");
}

TEST(DeflateServer, RefusesBadOptions) {
  EXPECT_THROW(PermessageDeflate({.level = 10}), std::invalid_argument);
  EXPECT_THROW(PermessageDeflate({.mem_level = 0}), std::invalid_argument);
  EXPECT_THROW(PermessageDeflate({.max_window_bits = 7}), std::invalid_argument);
  EXPECT_THROW(PermessageDeflate({.request_max_window_bits = 16}), std::invalid_argument);
}

// ---- Negotiation, client side ------------------------------------------------

std::string offer(DeflateOptions options = {}) {
  Extensions extensions;
  return extensions.generate_offer({deflate(options)});
}

bool client_accepts(std::string_view response, DeflateOptions options = {}) {
  Extensions extensions;
  extensions.generate_offer({deflate(options)});
  std::string error;
  return extensions.activate(response, error);
}

TEST(DeflateClient, Offers) {
  EXPECT_EQ(offer(), "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(offer({.max_window_bits = 10,
                   .no_context_takeover = true,
                   .request_max_window_bits = 11,
                   .request_no_context_takeover = true}),
            "permessage-deflate; client_no_context_takeover; client_max_window_bits=10; "
            "server_no_context_takeover; server_max_window_bits=11");
}

TEST(DeflateClient, AcceptsValidResponses) {
  EXPECT_TRUE(client_accepts("permessage-deflate"));
  EXPECT_TRUE(client_accepts("permessage-deflate; server_no_context_takeover"));  // 7.1.1.1
  EXPECT_TRUE(client_accepts("permessage-deflate; client_no_context_takeover"));  // 7.1.1.2
  EXPECT_TRUE(client_accepts("permessage-deflate; server_max_window_bits=8"));    // 7.1.2.1
  EXPECT_TRUE(client_accepts("permessage-deflate; client_max_window_bits=9"));    // 7.1.2.2
  EXPECT_TRUE(client_accepts("permessage-deflate; server_max_window_bits=10",
                             {.request_max_window_bits = 10}));
  EXPECT_TRUE(client_accepts("permessage-deflate; server_max_window_bits=9",
                             {.request_max_window_bits = 10}));
  EXPECT_TRUE(client_accepts("permessage-deflate; client_max_window_bits=10",
                             {.max_window_bits = 10}));
  EXPECT_TRUE(client_accepts("permessage-deflate; server_no_context_takeover",
                             {.request_no_context_takeover = true}));
}

TEST(DeflateClient, RefusesInvalidResponses) {
  EXPECT_FALSE(client_accepts("permessage-deflate; mystery"));
  EXPECT_FALSE(client_accepts("permessage-deflate; server_no_context_takeover=1"));
  EXPECT_FALSE(client_accepts("permessage-deflate; client_no_context_takeover; "
                              "client_no_context_takeover"));
  EXPECT_FALSE(client_accepts("permessage-deflate; server_max_window_bits=16"));
  EXPECT_FALSE(client_accepts("permessage-deflate; server_max_window_bits"));
  // 7.1.2.2: in a response client_max_window_bits needs a value...
  EXPECT_FALSE(client_accepts("permessage-deflate; client_max_window_bits"));
  EXPECT_FALSE(client_accepts("permessage-deflate; client_max_window_bits=7"));
  // ...no larger than the one offered.
  EXPECT_FALSE(client_accepts("permessage-deflate; client_max_window_bits=11",
                              {.max_window_bits = 10}));
  // 7.1.1.1: a requested server_no_context_takeover must be confirmed.
  EXPECT_FALSE(client_accepts("permessage-deflate", {.request_no_context_takeover = true}));
  // 7.1.2.1: a requested server_max_window_bits must be answered, same or smaller.
  EXPECT_FALSE(client_accepts("permessage-deflate", {.request_max_window_bits = 10}));
  EXPECT_FALSE(client_accepts("permessage-deflate; server_max_window_bits=11",
                              {.request_max_window_bits = 10}));
  // Two acceptances of one offer.
  EXPECT_FALSE(client_accepts("permessage-deflate, permessage-deflate"));
}

TEST(DeflateClient, FailsTheHandshakeOnAnInvalidResponse) {
  test::Recorder handler;
  Client client(http::Url::parse("ws://example.com/"), handler, {.extensions = {deflate()}});
  client.start();
  http::RequestParser parser;
  std::string head = handler.take_written();
  parser.parse(head);
  std::string key(parser.request().headers.get("Sec-WebSocket-Key").value_or(""));
  client.parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: " + accept_key(key) +
               "\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n\r\n");
  EXPECT_EQ(handler.error, Error::bad_extension);
  EXPECT_EQ(handler.close_code, 1002);
  EXPECT_EQ(handler.events.size(), 2u);
}

// ---- The negotiated result, end to end -----------------------------------------

TEST(DeflateDrivers, NegotiateAndReportTheHeader) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  ASSERT_TRUE(pair.open());
  EXPECT_EQ(pair.request.headers.get("Sec-WebSocket-Extensions"),
            "permessage-deflate; client_max_window_bits");
  EXPECT_EQ(pair.server->extensions(), "permessage-deflate");
  EXPECT_EQ(pair.client->extensions(), "permessage-deflate");
}

TEST(DeflateDrivers, ServerDeclinedLeavesMessagesUncompressed) {
  DriverPair pair({.extensions = {deflate()}}, {});
  ASSERT_TRUE(pair.open());
  EXPECT_EQ(pair.client->extensions(), "");
  ASSERT_TRUE(pair.client->text("Hello"));
  EXPECT_EQ(test::split_frames(pair.client_events.written)[0].first_byte, 0x81);
  pair.to_server();
  EXPECT_EQ(pair.server_events.messages, std::vector<std::string>{"Hello"});
}

// RFC 7692 7.2.3.1: "Hello" in one compressed block.
TEST(DeflateDrivers, CompressesHelloAsTheRfcDoes) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  ASSERT_TRUE(pair.server->text("Hello"));
  EXPECT_EQ(pair.server_events.written,
            bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}));
  // 7.2.3.2: the second "Hello" refers back to the first.
  ASSERT_TRUE(pair.server->text("Hello"));
  EXPECT_EQ(pair.server_events.written.substr(9),
            bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00}));
  pair.to_client();
  EXPECT_EQ(pair.client_events.messages, (std::vector<std::string>{"Hello", "Hello"}));
}

TEST(DeflateDrivers, ServerNoContextTakeoverCompressesEachMessageAlone) {
  DriverPair pair({.extensions = {deflate({.request_no_context_takeover = true})}},
                  {.extensions = {deflate()}});
  EXPECT_EQ(pair.server->extensions(), "permessage-deflate; server_no_context_takeover");
  ASSERT_TRUE(pair.server->text("Hello"));
  ASSERT_TRUE(pair.server->text("Hello"));
  std::string hello = bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00});
  EXPECT_EQ(pair.server_events.written, hello + hello);
  pair.to_client();
  EXPECT_EQ(pair.client_events.messages, (std::vector<std::string>{"Hello", "Hello"}));
}

TEST(DeflateDrivers, ClientNoContextTakeover) {
  for (bool server_asks : {false, true}) {
    DriverPair pair({.extensions = {deflate({.no_context_takeover = !server_asks})}},
                    {.extensions = {deflate({.request_no_context_takeover = server_asks})}});
    EXPECT_EQ(pair.server->extensions(), "permessage-deflate; client_no_context_takeover");
    std::string message(200, 'x');
    ASSERT_TRUE(pair.client->text(message));
    ASSERT_TRUE(pair.client->text(message));
    auto frames = test::split_frames(pair.client_events.written);
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[0].payload, frames[1].payload);  // no reference to the first
    pair.to_server();
    EXPECT_EQ(pair.server_events.messages, (std::vector<std::string>{message, message}));
  }
}

TEST(DeflateDrivers, ContextTakeoverShrinksRepeatedMessages) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  std::string message = "{\"type\":\"update\",\"values\":[1,2,3,4,5,6,7,8,9,10]}";
  ASSERT_TRUE(pair.client->text(message));
  ASSERT_TRUE(pair.client->text(message));
  auto frames = test::split_frames(pair.client_events.written);
  EXPECT_LT(frames[1].payload.size(), frames[0].payload.size());
  pair.to_server();
  EXPECT_EQ(pair.server_events.messages, (std::vector<std::string>{message, message}));
}

// Data with repeats 1000 bytes apart: a compressor using a window larger
// than negotiated would refer back further than the peer's inflater allows.
std::string far_repeats() {
  std::string block;
  std::uint32_t seed = 7;
  for (int i = 0; i < 1000; ++i) {
    seed = seed * 1103515245u + 12345u;
    block.push_back(static_cast<char>('a' + (seed >> 16) % 26));
  }
  std::string data;
  for (int i = 0; i < 50; ++i) data += block;
  return data;
}

TEST(DeflateDrivers, ClientMaxWindowBitsLimitsTheClientsWindow) {
  DriverPair pair({.extensions = {deflate()}},
                  {.extensions = {deflate({.request_max_window_bits = 9})}});
  EXPECT_EQ(pair.server->extensions(), "permessage-deflate; client_max_window_bits=9");
  std::string data = far_repeats();
  ASSERT_TRUE(pair.client->binary(as_bytes(data)));
  // Nothing found within 512 bytes: barely compressed.
  EXPECT_GT(test::split_frames(pair.client_events.written)[0].payload.size(), data.size() / 2);
  pair.to_server();
  ASSERT_EQ(pair.server_events.messages.size(), 1u);
  EXPECT_EQ(pair.server_events.messages[0], data);
}

TEST(DeflateDrivers, ServerMaxWindowBitsLimitsTheServersWindow) {
  for (int bits : {8, 9, 12}) {
    DriverPair pair({.extensions = {deflate({.request_max_window_bits = bits})}},
                    {.extensions = {deflate()}});
    EXPECT_EQ(pair.server->extensions(),
              "permessage-deflate; server_max_window_bits=" + std::to_string(bits));
    std::string data = far_repeats();
    ASSERT_TRUE(pair.server->binary(as_bytes(data)));
    pair.to_client();
    ASSERT_EQ(pair.client_events.messages.size(), 1u) << bits;
    EXPECT_EQ(pair.client_events.messages[0], data);
  }
}

TEST(DeflateDrivers, FullWindowCompressesFarRepeats) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  std::string data = far_repeats();
  ASSERT_TRUE(pair.server->binary(as_bytes(data)));
  EXPECT_LT(pair.server_events.written.size(), data.size() / 10);
  pair.to_client();
  EXPECT_EQ(pair.client_events.messages, std::vector<std::string>{data});
}

TEST(DeflateDrivers, RoundTripsTextAndBinaryBothWays) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  std::string big(100000, 'z');
  std::string binary = bytes({0x00, 0xff, 0x80, 0x00, 0x01});
  std::string utf8 = "h\xc3\xa9llo w\xc3\xb6rld \xf0\x9f\x98\x80";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pair.client->text(utf8));
    ASSERT_TRUE(pair.client->binary(as_bytes(binary)));
    ASSERT_TRUE(pair.client->text(big));
    ASSERT_TRUE(pair.client->text(""));
    ASSERT_TRUE(pair.server->text(utf8));
    ASSERT_TRUE(pair.server->binary(as_bytes(binary)));
    ASSERT_TRUE(pair.server->text(big));
    ASSERT_TRUE(pair.server->binary({}));
  }
  pair.to_server();
  pair.to_client();
  std::vector<std::string> expected;
  for (int i = 0; i < 3; ++i) {
    expected.insert(expected.end(), {"text:" + utf8, "binary:" + binary, "text:" + big, "text:"});
  }
  std::vector<std::string> server_events(pair.server_events.events.begin() + 1,
                                         pair.server_events.events.end());
  EXPECT_EQ(server_events, expected);
  for (int i = 0; i < 3; ++i) expected[4 * i + 3] = "binary:";
  std::vector<std::string> client_events(pair.client_events.events.begin() + 1,
                                         pair.client_events.events.end());
  EXPECT_EQ(client_events, expected);
}

TEST(DeflateDrivers, ByteByByteDelivery) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  ASSERT_TRUE(pair.client->text("Hello, Hello, Hello"));
  ASSERT_TRUE(pair.client->frame(Opcode::binary, as_bytes("frag"), false));
  ASSERT_TRUE(pair.client->frame(Opcode::continuation, as_bytes("mented"), true));
  for (char c : pair.client_events.take_written()) pair.server->parse(std::string(1, c));
  EXPECT_EQ(pair.server_events.events,
            (std::vector<std::string>{"open", "text:Hello, Hello, Hello", "binary:fragmented"}));
}

TEST(DeflateDrivers, FragmentsCarryRsv1OnTheFirstFrameOnly) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  ASSERT_TRUE(pair.server->frame(Opcode::text, as_bytes("Hel"), false));
  ASSERT_TRUE(pair.server->ping(as_bytes("ping")));  // never compressed
  ASSERT_TRUE(pair.server->frame(Opcode::continuation, as_bytes("lo"), false));
  ASSERT_TRUE(pair.server->frame(Opcode::continuation, {}, true));  // an empty last fragment
  auto frames = test::split_frames(pair.server_events.written);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].first_byte, 0x41);
  EXPECT_EQ(frames[1].first_byte, 0x89);
  EXPECT_EQ(frames[1].payload, "ping");
  EXPECT_EQ(frames[2].first_byte, 0x00);
  EXPECT_EQ(frames[3].first_byte, 0x80);
  EXPECT_EQ(frames[3].payload, bytes({0x00}));  // RFC 7692 7.2.3.6
  pair.to_client();
  EXPECT_EQ(pair.client_events.events,
            (std::vector<std::string>{"open", "ping:ping", "text:Hello"}));
  // The stream goes on after it.
  ASSERT_TRUE(pair.server->text("Hello"));
  pair.to_client();
  EXPECT_EQ(pair.client_events.messages, (std::vector<std::string>{"Hello", "Hello"}));
}

TEST(DeflateDrivers, ThresholdAndOptOutSendUncompressed) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate({.threshold = 10})}});
  ASSERT_TRUE(pair.server->text("short"));
  ASSERT_TRUE(pair.server->text("long enough to compress"));
  ASSERT_TRUE(pair.server->text("long enough, but opted out", false));
  ASSERT_TRUE(pair.server->binary(as_bytes("opted out too"), false));
  // Fragmented: the size is unknown, so the threshold does not apply.
  ASSERT_TRUE(pair.server->frame(Opcode::text, as_bytes("a"), false));
  ASSERT_TRUE(pair.server->frame(Opcode::continuation, as_bytes("b"), true));
  auto frames = test::split_frames(pair.server_events.written);
  ASSERT_EQ(frames.size(), 6u);
  EXPECT_EQ(frames[0].first_byte, 0x81);
  EXPECT_EQ(frames[0].payload, "short");
  EXPECT_EQ(frames[1].first_byte, 0xc1);
  EXPECT_EQ(frames[2].first_byte, 0x81);
  EXPECT_EQ(frames[3].first_byte, 0x82);
  EXPECT_EQ(frames[4].first_byte, 0x41);
  EXPECT_EQ(frames[5].first_byte, 0x80);
  pair.to_client();
  EXPECT_EQ(pair.client_events.messages,
            (std::vector<std::string>{"short", "long enough to compress",
                                      "long enough, but opted out", "opted out too", "ab"}));
}

TEST(DeflateDrivers, UncompressedFragmentedMessageAfterOptOut) {
  DriverPair pair({.extensions = {deflate()}}, {.extensions = {deflate()}});
  ASSERT_TRUE(pair.client->frame(Opcode::text, as_bytes("ab"), false, false));
  ASSERT_TRUE(pair.client->frame(Opcode::continuation, as_bytes("cd"), true));
  auto frames = test::split_frames(pair.client_events.written);
  EXPECT_EQ(frames[0].first_byte, 0x01);
  EXPECT_EQ(frames[0].payload, "ab");
  EXPECT_EQ(frames[1].payload, "cd");
  pair.to_server();
  EXPECT_EQ(pair.server_events.messages, std::vector<std::string>{"abcd"});
}

// ---- RFC 7692 7.2.3 examples, received ----------------------------------------

struct Receiving : ::testing::Test {
  std::unique_ptr<DriverPair> pair;

  void SetUp() override { connect({}); }
  void connect(DeflateOptions client_options, std::size_t max_length = default_max_length) {
    pair = std::make_unique<DriverPair>(
        ClientOptions{.max_length = max_length, .extensions = {deflate(client_options)}},
        ServerOptions{.extensions = {deflate()}});
    ASSERT_TRUE(pair->open());
  }
  std::vector<std::string> receive(const std::string& wire) {
    pair->client->parse(wire);
    return pair->client_events.messages;
  }
};

TEST_F(Receiving, OneCompressedBlock) {  // 7.2.3.1
  EXPECT_EQ(receive(bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00})),
            std::vector<std::string>{"Hello"});
}

TEST_F(Receiving, OneCompressedBlockInFragments) {  // 7.2.3.1
  EXPECT_EQ(receive(bytes({0x41, 0x03, 0xf2, 0x48, 0xcd}) +
                    bytes({0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00})),
            std::vector<std::string>{"Hello"});
}

TEST_F(Receiving, SharedWindow) {  // 7.2.3.2
  EXPECT_EQ(receive(bytes({0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}) +
                    bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00})),
            (std::vector<std::string>{"Hello", "Hello"}));
}

TEST_F(Receiving, BlockWithNoCompression) {  // 7.2.3.3
  EXPECT_EQ(receive(bytes({0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f,
                           0x00})),
            std::vector<std::string>{"Hello"});
}

TEST_F(Receiving, BlockWithBfinalSet) {  // 7.2.3.4
  std::string bfinal = bytes({0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00});
  // The stream ended; the next message starts a new one, the window kept.
  EXPECT_EQ(receive(bfinal + bfinal + bytes({0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00})),
            (std::vector<std::string>{"Hello", "Hello", "Hello"}));
}

TEST_F(Receiving, TwoBlocksInOneMessage) {  // 7.2.3.5
  EXPECT_EQ(receive(bytes({0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9,
                           0xc9, 0x07, 0x00})),
            std::vector<std::string>{"Hello"});
}

TEST_F(Receiving, CompressedEmptyMessages) {  // 7.2.3.6
  EXPECT_EQ(receive(bytes({0xc1, 0x01, 0x00}) + bytes({0xc1, 0x00}) +
                    bytes({0x41, 0x03, 0xf2, 0x48, 0xcd}) + bytes({0x00, 0x00}) +
                    bytes({0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00})),
            (std::vector<std::string>{"", "", "Hello"}));
}

TEST_F(Receiving, UncompressedMessagesStillPass) {
  EXPECT_EQ(receive(frame(0x81, "plain", std::nullopt)), std::vector<std::string>{"plain"});
}

TEST_F(Receiving, CorruptTextClosesWith1007) {
  receive(bytes({0xc1, 0x03, 0xff, 0xff, 0xff}));
  EXPECT_EQ(pair->client_events.close_code, 1007);
  EXPECT_EQ(pair->client_events.error, Error::extension_error);
  EXPECT_EQ(pair->client->memory_usage(), 0u);
}

TEST_F(Receiving, CorruptBinaryClosesWith1002) {
  receive(bytes({0xc2, 0x03, 0xff, 0xff, 0xff}));
  EXPECT_EQ(pair->client_events.close_code, 1002);
  // The close frame went out to the server.
  auto frames = test::split_frames(pair->client_events.written);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].first_byte, 0x88);
  EXPECT_EQ(frames[0].payload.substr(0, 2), bytes({0x03, 0xea}));
}

TEST_F(Receiving, ReferencesBeyondTheNegotiatedWindowAreCorrupt) {
  connect({.request_max_window_bits = 9});
  // A full-window server would do this; ours honours server_max_window_bits,
  // so compress with an unconstrained pair and replay it here.
  DriverPair wide({.extensions = {deflate()}}, {.extensions = {deflate()}});
  ASSERT_TRUE(wide.server->binary(as_bytes(far_repeats())));
  receive(wide.server_events.take_written());
  EXPECT_EQ(pair->client_events.close_code, 1002);
}

TEST_F(Receiving, InvalidUtf8AfterInflationClosesWith1007) {
  DriverPair other({.extensions = {deflate()}}, {.extensions = {deflate()}});
  ASSERT_TRUE(other.server->frame(Opcode::text, as_bytes("bad \xff text"), true));
  receive(other.server_events.take_written());
  EXPECT_EQ(pair->client_events.close_code, 1007);
  EXPECT_EQ(pair->client_events.error, Error::invalid_utf8);
}

TEST_F(Receiving, Rsv1OnAContinuationFrameIsAProtocolError) {
  receive(bytes({0x41, 0x03, 0xf2, 0x48, 0xcd}) + bytes({0xc0, 0x04, 0xc9, 0xc9, 0x07, 0x00}));
  EXPECT_EQ(pair->client_events.close_code, 1002);
  EXPECT_EQ(pair->client_events.error, Error::protocol_error);
}

TEST_F(Receiving, Rsv1OnAControlFrameIsAProtocolError) {
  receive(bytes({0xc9, 0x00}));
  EXPECT_EQ(pair->client_events.close_code, 1002);
}

TEST_F(Receiving, Rsv2AndRsv3AreProtocolErrors) {
  receive(bytes({0xa1, 0x00}));
  EXPECT_EQ(pair->client_events.close_code, 1002);
  connect({});
  receive(bytes({0x91, 0x00}));
  EXPECT_EQ(pair->client_events.close_code, 1002);
}

// ---- Compression bombs ---------------------------------------------------------

// Records the driver's memory at the moment the error is reported, before
// the connection's buffers and zlib state are released.
struct MemoryAtError : test::Recorder {
  const Hybi* driver = nullptr;
  std::size_t memory_at_error = 0;
  void on_error(std::error_code e, std::string_view message) override {
    memory_at_error = driver->memory_usage();
    Recorder::on_error(e, message);
  }
};

TEST(DeflateBomb, SmallFrameInflatingPastMaxLengthIsCutOff) {
  constexpr std::size_t max_length = 64 * 1024;
  // 1 MiB of zeros compresses to about 1 KiB.
  DriverPair sender({.extensions = {deflate()}}, {.extensions = {deflate()}});
  std::string zeros(1 << 20, '\0');
  ASSERT_TRUE(sender.client->binary(as_bytes(zeros)));
  std::string bomb = sender.client_events.take_written();
  EXPECT_LT(bomb.size(), 1200u);

  MemoryAtError events;
  http::Request request = sender.request;
  Hybi server(request, events, {.max_length = max_length, .extensions = {deflate()}});
  events.driver = &server;
  server.start();
  server.parse(bomb);
  EXPECT_EQ(events.close_code, 1009);
  EXPECT_EQ(events.error, Error::message_too_big);
  EXPECT_TRUE(events.messages.empty());
  // At the failure the output buffer held at most max_length + 1 bytes; the
  // rest is zlib's decompressor (~41 KiB) and the small compressed input.
  EXPECT_GT(events.memory_at_error, max_length);
  EXPECT_LT(events.memory_at_error, max_length + 1 + 48 * 1024);
  // Everything is released with the connection.
  EXPECT_EQ(server.memory_usage(), 0u);
}

TEST(DeflateBomb, FragmentedBombIsCutOffToo) {
  DriverPair sender({.extensions = {deflate()}}, {.extensions = {deflate()}});
  std::string zeros(1 << 20, '\0');
  ASSERT_TRUE(sender.server->frame(Opcode::text, as_bytes(zeros), false));
  ASSERT_TRUE(sender.server->frame(Opcode::continuation, as_bytes(zeros), true));
  std::string bomb = sender.server_events.take_written();

  DriverPair receiver({.max_length = 100000, .extensions = {deflate()}},
                      {.extensions = {deflate()}});
  receiver.client->parse(bomb);
  EXPECT_EQ(receiver.client_events.close_code, 1009);
}

TEST(DeflateBomb, MaxLengthIsExactOnTheInflatedSize) {
  for (std::size_t limit : {std::size_t{5000}, std::size_t{4999}}) {
    DriverPair pair({.extensions = {deflate()}},
                    {.max_length = limit, .extensions = {deflate()}});
    ASSERT_TRUE(pair.client->text(std::string(5000, 'a')));
    pair.to_server();
    if (limit == 5000) {
      EXPECT_EQ(pair.server_events.messages.size(), 1u);
      EXPECT_EQ(pair.server->ready_state(), ReadyState::open);
    } else {
      EXPECT_EQ(pair.server_events.close_code, 1009);
    }
  }
}

TEST(DeflateBomb, CompressedBytesAreBoundedByMaxLength) {
  // Incompressible data: the compressed message is larger than max_length.
  DriverPair pair({.extensions = {deflate()}}, {.max_length = 1000, .extensions = {deflate()}});
  std::string noise = far_repeats().substr(0, 999);
  ASSERT_TRUE(pair.client->text(noise + noise));
  pair.to_server();
  EXPECT_EQ(pair.server_events.close_code, 1009);
}

// Deflate expands incompressible data a little (Chromium sends 1000 random
// bytes as 1005): a message within max_length is accepted although its
// compressed form is longer; the limit is on the inflated size.
TEST(DeflateBomb, IncompressibleMessageAtMaxLengthIsAccepted) {
  DriverPair pair({.extensions = {deflate()}}, {.max_length = 1000, .extensions = {deflate()}});
  std::mt19937 generator(1005);
  std::string noise(1000, '\0');
  for (char& c : noise) c = static_cast<char>(generator());
  ASSERT_TRUE(pair.client->binary(as_bytes(noise)));
  pair.to_server();
  EXPECT_EQ(pair.server->ready_state(), ReadyState::open);
  EXPECT_EQ(pair.server_events.messages, std::vector<std::string>{noise});
}

// ---- Memory per connection ------------------------------------------------------

std::size_t connection_memory(DeflateOptions server_options, DeflateOptions client_options = {}) {
  DriverPair pair({.extensions = {deflate(client_options)}},
                  {.extensions = {deflate(server_options)}});
  // zlib's state (kilobytes) is allocated on first use: until then, only
  // the box that holds the negotiated extensions.
  EXPECT_LT(pair.server->memory_usage(), 256u);
  std::string message = far_repeats();
  pair.client->text(message);
  pair.to_server();
  pair.server->text(message);
  pair.to_client();
  EXPECT_EQ(pair.client_events.messages, std::vector<std::string>{message});
  std::size_t used = pair.server->memory_usage();
  pair.server->close();
  pair.to_client();
  pair.to_server();
  EXPECT_EQ(pair.server->ready_state(), ReadyState::closed);
  EXPECT_EQ(pair.server->memory_usage(), 0u);  // freed at close
  return used;
}

// zlib's own state, compressor and decompressor, for one session.
std::pair<std::size_t, std::size_t> zlib_memory(DeflateOptions options, const char* offer) {
  auto extension = deflate(options);
  ParsedExtensions parsed = parse_extension_header(offer);
  std::vector<ExtensionParams> offers{parsed.offers.at(0).params};
  auto session = extension->create_server_session(offers);
  std::string out;
  std::string message = far_repeats();
  ExtensionMessage outgoing{.data = as_bytes(message)};
  EXPECT_TRUE(session->process_outgoing(outgoing, out).ok());
  std::size_t compressor = session->memory_usage();
  std::string compressed(as_text(outgoing.data));
  ExtensionMessage incoming{.rsv = kRsv1, .data = as_bytes(compressed)};
  std::string inflated;
  EXPECT_TRUE(session->process_incoming(incoming, inflated).ok());
  EXPECT_EQ(as_text(incoming.data), message);
  std::size_t both = session->memory_usage();
  session->close();
  EXPECT_EQ(session->memory_usage(), 0u);
  return {compressor, both - compressor};
}

TEST(DeflateMemory, ZlibStatePerSession) {
  auto [deflater, inflater] = zlib_memory({}, "permessage-deflate");
  auto [low_deflater, low_inflater] =
      zlib_memory({.mem_level = 1, .max_window_bits = 9, .request_max_window_bits = 9},
                  "permessage-deflate; client_max_window_bits");
  std::cout << "[ memory   ] zlib per session: defaults compressor " << deflater
            << " + decompressor " << inflater << " bytes; mem_level 1, windows 9: compressor "
            << low_deflater << " + decompressor " << low_inflater << " bytes\n";
  EXPECT_GT(deflater, 256u * 1024);
  EXPECT_LT(low_deflater + low_inflater, 20u * 1024);
}

TEST(DeflateMemory, PerConnection) {
  std::size_t defaults = connection_memory({});
  std::size_t low = connection_memory(
      {.mem_level = 1, .max_window_bits = 9, .request_max_window_bits = 9});
  std::cout << "[ memory   ] permessage-deflate server connection, zlib + buffers: defaults "
            << defaults << " bytes, mem_level 1 / windows 9: " << low << " bytes\n";
  EXPECT_GT(defaults, 256u * 1024);
  EXPECT_LT(defaults, 360u * 1024);
  EXPECT_LT(low, 24u * 1024);
}

}  // namespace
}  // namespace faye::driver
