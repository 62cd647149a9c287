#include "faye/driver/client.hpp"

#include <gtest/gtest.h>

#include "faye/driver/handshake.hpp"
#include "faye/http/parser.hpp"
#include "test_peer.hpp"

namespace faye::driver {
namespace {

using test::close_payload;
using test::frame;

// A server's driver, open, that reads back what the client wrote.
struct ServerReader {
  ServerReader() { driver.start(); }
  http::Request request = test::hybi_request();
  test::Recorder events;
  Hybi driver{request, events};
};

class ClientTest : public ::testing::Test {
 protected:
  test::Recorder handler;
  std::unique_ptr<Client> client;
  http::Request sent;  // the handshake request as the server would parse it

  void connect(std::string url = "ws://example.com:8080/chat?room=1", ClientOptions options = {}) {
    handler = {};
    client = std::make_unique<Client>(http::Url::parse(url), handler, std::move(options));
    client->start();
    http::RequestParser parser;
    std::string request = handler.take_written();
    ASSERT_EQ(parser.parse(request), request.size());
    ASSERT_TRUE(parser.complete());
    sent = parser.request();
  }

  std::string response(std::string extra = "") {
    std::string key(sent.headers.get("Sec-WebSocket-Key").value_or(""));
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " + accept_key(key) + "\r\n" + extra + "\r\n";
  }

  void expect_handshake_failure(const std::string& reply, Error error) {
    client->parse(reply);
    EXPECT_EQ(handler.error, error);
    EXPECT_EQ(handler.close_code, 1002);
    EXPECT_EQ(client->ready_state(), ReadyState::closed);
    EXPECT_EQ(handler.events.size(), 2u);  // error, then close; never open
    EXPECT_FALSE(client->text("x"));
  }
};

TEST_F(ClientTest, SendsTheOpeningHandshake) {
  connect("ws://example.com:8080/chat?room=1",
          {.protocols = {"chat", "superchat"}, .headers = {{"Cookie", "a=b"}},
           .origin = "http://example.com"});
  EXPECT_EQ(sent.method, "GET");
  EXPECT_EQ(sent.target, "/chat?room=1");
  EXPECT_EQ(sent.headers.get("Host"), "example.com:8080");
  EXPECT_TRUE(sent.headers.has_token("Upgrade", "websocket"));
  EXPECT_TRUE(sent.headers.has_token("Connection", "Upgrade"));
  EXPECT_EQ(sent.headers.get("Sec-WebSocket-Version"), "13");
  EXPECT_TRUE(is_valid_key(sent.headers.get("Sec-WebSocket-Key").value_or("")));
  EXPECT_EQ(sent.headers.get("Sec-WebSocket-Protocol"), "chat, superchat");
  EXPECT_EQ(sent.headers.get("Origin"), "http://example.com");
  EXPECT_EQ(sent.headers.get("Cookie"), "a=b");
  EXPECT_EQ(client->ready_state(), ReadyState::connecting);
}

TEST_F(ClientTest, UsesAFreshKeyEachTime) {
  connect();
  std::string first(sent.headers.get("Sec-WebSocket-Key").value_or(""));
  connect();
  EXPECT_NE(sent.headers.get("Sec-WebSocket-Key"), first);
}

TEST_F(ClientTest, OmitsDefaultPortsAndBracketsIpv6) {
  connect("wss://[::1]/");
  EXPECT_EQ(sent.headers.get("Host"), "[::1]");
  connect("ws://127.0.0.1:80");
  EXPECT_EQ(sent.headers.get("Host"), "127.0.0.1");
  EXPECT_EQ(sent.target, "/");
}

TEST_F(ClientTest, TurnsUrlCredentialsIntoBasicAuth) {
  connect("ws://user:p%40ss@example.com/");
  EXPECT_EQ(sent.headers.get("Authorization"), "Basic dXNlcjpwQHNz");  // user:p@ss
}

TEST_F(ClientTest, OpensOnAValidResponseAndParsesFramesInTheSameRead) {
  connect();
  client->parse(response() + frame(0x81, "hi", std::nullopt));
  EXPECT_EQ(handler.events, (std::vector<std::string>{"open", "text:hi"}));
  EXPECT_EQ(client->version(), "hybi-13");
  EXPECT_EQ(client->response().status, 101);
}

TEST_F(ClientTest, OpensWhenTheResponseArrivesByteByByte) {
  connect();
  std::string input = response() + frame(0x82, "bin", std::nullopt);
  for (char byte : input) client->parse(std::string(1, byte));
  EXPECT_EQ(handler.events, (std::vector<std::string>{"open", "binary:bin"}));
}

TEST_F(ClientTest, MasksEveryFrameWithAFreshKey) {
  connect();
  client->parse(response());
  std::string payload(3000, 'z');
  ASSERT_TRUE(client->text(payload));
  ASSERT_TRUE(client->text(payload));
  std::string wire = handler.take_written();
  // Read both frames back as a server would.
  ServerReader server;
  server.driver.parse(wire);
  ASSERT_EQ(server.events.messages.size(), 2u);
  EXPECT_EQ(server.events.messages[0], payload);
  EXPECT_EQ(server.events.messages[1], payload);
  // 4-byte length header: mask keys at bytes 4..7 of each 3008-byte frame.
  EXPECT_NE(wire.substr(4, 4), wire.substr(3008 + 4, 4));
  EXPECT_EQ(static_cast<std::uint8_t>(wire[1]) & 0x80, 0x80);
}

// Up to 1 KiB a frame is masked in one piece, beyond it piece by piece
// (16 KiB each): the mask runs on across the pieces' boundaries.
TEST_F(ClientTest, MasksLargeMessagesAcrossPieces) {
  connect();
  client->parse(response());
  ServerReader server;
  for (std::size_t size : {1024u, 1025u, 16u * 1024 + 3, 40001u}) {
    std::string payload(size, '\0');
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7 + i / 251);
    ASSERT_TRUE(client->binary(as_bytes(payload)));
    const std::string wire = handler.take_written();
    const std::size_t header = size <= 0xFFFF ? 4 : 10;
    ASSERT_EQ(wire.size(), header + 4 + size) << size;
    EXPECT_NE(wire.substr(header + 4), payload) << size;  // masked on the wire
    server.driver.parse(wire);
    ASSERT_FALSE(server.events.messages.empty()) << size;
    EXPECT_TRUE(server.events.messages.back() == payload) << size;
  }
}

TEST_F(ClientTest, MasksSmallFramesOfEveryLengthToo) {
  // 0..125 bytes take the one-write path, 126 the general one.
  connect();
  client->parse(response());
  ServerReader server;
  std::string previous_key;
  for (std::size_t size : {0u, 1u, 5u, 64u, 125u, 126u}) {
    const std::string payload(size, static_cast<char>('a' + size % 26));
    ASSERT_TRUE(client->text(payload));
    const std::string wire = handler.take_written();
    const std::size_t header = size < 126 ? 2 : 4;
    ASSERT_EQ(wire.size(), header + 4 + size) << size;
    EXPECT_EQ(static_cast<std::uint8_t>(wire[1]) & 0x80, 0x80) << size;
    const std::string key = wire.substr(header, 4);
    EXPECT_NE(key, previous_key) << size;
    previous_key = key;
    if (size >= 4) EXPECT_NE(wire.substr(header + 4), payload) << size;  // masked on the wire
    server.driver.parse(wire);
    ASSERT_FALSE(server.events.messages.empty()) << size;
    EXPECT_EQ(server.events.messages.back(), payload) << size;
  }
}

TEST_F(ClientTest, ClosesWith1002OnMaskedServerFrames) {
  connect();
  client->parse(response());
  handler.take_written();
  client->parse(frame(0x81, "masked"));
  EXPECT_EQ(handler.error, Error::protocol_error);
  EXPECT_EQ(handler.close_code, 1002);
}

TEST_F(ClientTest, CompletesTheClosingHandshake) {
  connect();
  client->parse(response());
  EXPECT_TRUE(client->close(1000, "bye"));
  EXPECT_EQ(client->ready_state(), ReadyState::closing);
  client->parse(frame(0x88, close_payload(1000, "bye"), std::nullopt));
  EXPECT_EQ(handler.events.back(), "close:1000");
  EXPECT_EQ(handler.close_reason, "bye");
}

TEST_F(ClientTest, AcceptsAnOfferedSubprotocol) {
  connect("ws://example.com/", {.protocols = {"a", "b"}});
  client->parse(response("Sec-WebSocket-Protocol: b\r\n"));
  EXPECT_EQ(client->protocol(), "b");
  EXPECT_EQ(client->ready_state(), ReadyState::open);
}

TEST_F(ClientTest, AcceptsAServerThatPicksNoSubprotocol) {
  connect("ws://example.com/", {.protocols = {"a"}});
  client->parse(response());
  EXPECT_EQ(client->protocol(), "");
  EXPECT_EQ(client->ready_state(), ReadyState::open);
}

TEST_F(ClientTest, RefusesAnUnofferedSubprotocol) {
  connect("ws://example.com/", {.protocols = {"a"}});
  expect_handshake_failure(response("Sec-WebSocket-Protocol: c\r\n"), Error::bad_protocol);
}

TEST_F(ClientTest, RefusesAnUnofferedExtension) {
  connect();
  expect_handshake_failure(response("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
                           Error::bad_extension);
}

TEST_F(ClientTest, RefusesAWrongAcceptKey) {
  connect();
  expect_handshake_failure(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
      Error::bad_accept);
  connect();
  expect_handshake_failure(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
      Error::bad_accept);
}

TEST_F(ClientTest, RefusesOtherStatuses) {
  connect();
  expect_handshake_failure("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
                           Error::unexpected_status);
  EXPECT_NE(handler.events[0].find("403"), std::string::npos);
  connect();
  expect_handshake_failure("HTTP/1.1 200 OK\r\n\r\n", Error::unexpected_status);
}

TEST_F(ClientTest, RefusesMissingUpgradeHeaders) {
  connect();
  std::string key(sent.headers.get("Sec-WebSocket-Key").value_or(""));
  expect_handshake_failure("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: " + accept_key(key) + "\r\n\r\n",
                           Error::bad_response);
  connect();
  key = sent.headers.get("Sec-WebSocket-Key").value_or("");
  expect_handshake_failure("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Sec-WebSocket-Accept: " + accept_key(key) + "\r\n\r\n",
                           Error::bad_response);
}

TEST_F(ClientTest, RefusesGarbageAndOversizedResponses) {
  connect();
  expect_handshake_failure("SSH-2.0-OpenSSH\r\n\r\n", Error::bad_response);
  connect("ws://example.com/", {.max_handshake_size = 1024});
  expect_handshake_failure("HTTP/1.1 101 OK\r\nX: " + std::string(2000, 'x') + "\r\n\r\n",
                           Error::handshake_too_large);
}

TEST_F(ClientTest, CloseBeforeOpenClosesAtOnce) {
  connect();
  EXPECT_TRUE(client->close());
  EXPECT_EQ(client->ready_state(), ReadyState::closed);
  client->parse(response());
  EXPECT_EQ(handler.events, std::vector<std::string>{"close:1000"});
}

}  // namespace
}  // namespace faye::driver
