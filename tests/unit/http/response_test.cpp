#include "faye/http/response.hpp"

#include <gtest/gtest.h>

#include "faye/http/parser.hpp"

namespace faye::http {
namespace {

TEST(Response, SerializesTheHeadWithContentLength) {
  Response response{200, {{"Content-Type", "text/plain"}}, "Hello"};
  EXPECT_EQ(response.serialize(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nHello");
}

TEST(Response, KeepsAnExplicitLengthOrChunking) {
  Response sized{200, {{"content-length", "0"}}, ""};
  EXPECT_EQ(sized.serialize_head(), "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  Response chunked{200, {{"Transfer-Encoding", "chunked"}}, ""};
  EXPECT_EQ(chunked.serialize_head(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(Response, AddsNoLengthWhereABodyIsForbidden) {
  // RFC 9110 8.6: no Content-Length in 1xx and 204 responses.
  Response upgrade{101, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}, ""};
  EXPECT_EQ(
      upgrade.serialize_head(),
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  Response empty;
  empty.status = 204;
  EXPECT_EQ(empty.serialize_head(), "HTTP/1.1 204 No Content\r\n\r\n");
  empty.status = 304;
  EXPECT_EQ(empty.serialize_head(), "HTTP/1.1 304 Not Modified\r\n\r\n");
}

TEST(Response, HasAReasonForEveryStatusTheParserAnswers) {
  for (int status : {400, 413, 414, 431, 500, 505}) {
    EXPECT_NE(reason_phrase(status), "Unknown") << status;
  }
  EXPECT_EQ(reason_phrase(426), "Upgrade Required");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}

TEST(Response, HijackedIsNotAStatus) {
  Response response = Response::hijacked();
  EXPECT_TRUE(response.is_hijacked());
  EXPECT_FALSE(Response{}.is_hijacked());
}

TEST(Response, RoundTripsThroughTheResponseParser) {
  Response response{101, {{"Upgrade", "websocket"}, {"Sec-WebSocket-Accept", "abc="}}, ""};
  std::string wire = response.serialize_head();
  ResponseParser parser;
  EXPECT_EQ(parser.parse(wire + "\x81"), wire.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.head().status, 101);
  EXPECT_EQ(parser.head().reason, "Switching Protocols");
  EXPECT_EQ(parser.head().headers.get("Sec-WebSocket-Accept"), "abc=");
}

}  // namespace
}  // namespace faye::http
