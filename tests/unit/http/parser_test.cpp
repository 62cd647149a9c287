#include "faye/http/parser.hpp"

#include <gtest/gtest.h>

#include "http/simple_request.hpp"

#include <string>
#include <vector>

namespace faye::http {
namespace {

// Feeds `data` in pieces of `step` bytes, the way a socket may deliver it,
// stopping when the parser leaves need_more. Returns the bytes consumed.
template <typename Parser>
std::size_t feed(Parser& parser, std::string_view data, std::size_t step) {
  std::size_t total = 0;
  while (total < data.size() && parser.state() == ParseState::need_more) {
    std::string_view piece = data.substr(total, step);
    std::size_t n = parser.parse(piece);
    total += n;
    if (n < piece.size()) break;
  }
  return total;
}

template <typename Parser>
std::size_t feed(Parser& parser, std::string_view data) {
  return feed(parser, data, data.size());
}

const std::string kGet =
    "GET /chat?room=1 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Accept: */*\r\n"
    "X-Multi: a\r\n"
    "x-multi: b\r\n"
    "\r\n";

const std::string kChunkedPost =
    "POST /upload HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5;name=value\r\nhello\r\n"
    "7\r\n, world\r\n"
    "0\r\n"
    "Expires: never\r\n"
    "\r\n";

const std::string kUpgrade76 =
    "GET /demo HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n"
    "Sec-WebSocket-Protocol: sample\r\n"
    "Upgrade: WebSocket\r\n"
    "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
    "Origin: http://example.com\r\n"
    "\r\n";
const std::string kKey3 = "^n:ds[4U";

// ------------------------------------------------------------ RequestParser

TEST(RequestParser, ParsesARequestHead) {
  RequestParser parser;
  EXPECT_EQ(parser.state(), ParseState::need_more);
  EXPECT_EQ(parser.parse(kGet), kGet.size());
  ASSERT_TRUE(parser.complete());
  const Request& request = parser.request();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/chat?room=1");
  EXPECT_EQ(request.path(), "/chat");
  EXPECT_EQ(request.version_major, 1);
  EXPECT_EQ(request.version_minor, 1);
  EXPECT_EQ(request.host(), "example.com");
  EXPECT_EQ(request.headers.size(), 4u);
  EXPECT_EQ(request.headers.get_all("X-Multi"), "a, b");
  EXPECT_TRUE(request.body.empty());
  EXPECT_TRUE(parser.keep_alive());
  EXPECT_FALSE(parser.upgrade());
  EXPECT_EQ(parser.error(), ParseError::none);
  EXPECT_EQ(parser.error_status(), 0);
}

TEST(RequestParser, WaitsForTheBlankLine) {
  RequestParser parser;
  std::string_view head = kGet;
  head.remove_suffix(2);
  EXPECT_EQ(parser.parse(head), head.size());
  EXPECT_EQ(parser.state(), ParseState::need_more);
  EXPECT_EQ(parser.parse("\r\n"), 2u);
  EXPECT_TRUE(parser.complete());
}

TEST(RequestParser, EverySplitGivesTheSameRequest) {
  for (const std::string& message : {kGet, kChunkedPost, kUpgrade76}) {
    RequestParser whole;
    ASSERT_EQ(feed(whole, message), message.size());
    ASSERT_TRUE(whole.complete());
    for (std::size_t step = 1; step < message.size(); ++step) {
      RequestParser parser;
      EXPECT_EQ(feed(parser, message, step), message.size()) << "step " << step;
      ASSERT_TRUE(parser.complete()) << "step " << step;
      const Request& a = whole.request();
      const Request& b = parser.request();
      EXPECT_EQ(a.method, b.method);
      EXPECT_EQ(a.target, b.target);
      EXPECT_EQ(a.body, b.body);
      EXPECT_EQ(std::vector(a.headers.begin(), a.headers.end()),
                std::vector(b.headers.begin(), b.headers.end()))
          << "step " << step;
    }
  }
}

TEST(RequestParser, ByteAtATimeAssemblesSplitNamesAndValues) {
  RequestParser parser;
  EXPECT_EQ(feed(parser, kUpgrade76, 1), kUpgrade76.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.request().headers.get("Sec-WebSocket-Key1"), "4 @1  46546xW%0l 1 5");
  EXPECT_EQ(parser.request().headers.get("origin"), "http://example.com");
  EXPECT_EQ(parser.request().headers.size(), 7u);
}

TEST(RequestParser, ParsesAContentLengthBody) {
  std::string message = "POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world";
  RequestParser parser;
  EXPECT_EQ(feed(parser, message, 3), message.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.request().method, "POST");
  EXPECT_EQ(parser.request().body, "hello world");
}

TEST(RequestParser, WaitsForTheWholeBody) {
  RequestParser parser;
  std::string head = "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab";
  EXPECT_EQ(parser.parse(head), head.size());
  EXPECT_EQ(parser.state(), ParseState::need_more);
  EXPECT_EQ(parser.parse("cdEXTRA"), 2u);
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.request().body, "abcd");
}

TEST(RequestParser, ReportsTheHeadBeforeTheBody) {
  RequestParser parser;
  parser.parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n");
  EXPECT_FALSE(parser.head_complete());
  EXPECT_TRUE(parser.request().method.empty());
  parser.parse("Content-Length: 2\r\n\r\n");
  EXPECT_TRUE(parser.head_complete());
  EXPECT_EQ(parser.request().method, "POST");
  EXPECT_EQ(parser.request().headers.get("Expect"), "100-continue");
  EXPECT_EQ(parser.state(), ParseState::need_more);
  parser.parse("ok");
  EXPECT_TRUE(parser.complete());
  parser.take();
  EXPECT_FALSE(parser.head_complete());
}

TEST(RequestParser, DecodesAChunkedBodyAndDropsTrailers) {
  RequestParser parser;
  EXPECT_EQ(parser.parse(kChunkedPost), kChunkedPost.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.request().body, "hello, world");
  EXPECT_FALSE(parser.request().headers.contains("Expires"));
  EXPECT_EQ(parser.request().headers.get("Transfer-Encoding"), "chunked");
}

TEST(RequestParser, ParsesThreePipelinedRequests) {
  std::string second = "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz";
  std::string third = "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string buffer = kGet + second + third;
  std::string_view rest = buffer;
  RequestParser parser;
  std::vector<Request> requests;
  std::vector<bool> keep_alive;
  while (!rest.empty()) {
    std::size_t n = parser.parse(rest);
    rest.remove_prefix(n);
    ASSERT_TRUE(parser.complete()) << parser.error_message();
    keep_alive.push_back(parser.keep_alive());
    requests.push_back(parser.take());
  }
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].target, "/chat?room=1");
  EXPECT_EQ(requests[1].target, "/b");
  EXPECT_EQ(requests[1].body, "xyz");
  EXPECT_EQ(requests[2].target, "/c");
  EXPECT_EQ(keep_alive, (std::vector<bool>{true, true, false}));
}

TEST(RequestParser, PipelinedRequestsFedByteAtATime) {
  std::string buffer = kChunkedPost + kGet + kChunkedPost;
  RequestParser parser;
  std::vector<std::string> targets;
  for (char c : buffer) {
    ASSERT_EQ(parser.parse(std::string_view(&c, 1)), 1u);
    if (parser.complete()) targets.push_back(parser.take().target);
  }
  EXPECT_EQ(targets, (std::vector<std::string>{"/upload", "/chat?room=1", "/upload"}));
}

TEST(RequestParser, ParseAfterCompleteStartsTheNextRequest) {
  RequestParser parser;
  std::string buffer = kGet + kGet;
  std::size_t n = parser.parse(buffer);
  EXPECT_EQ(n, kGet.size());
  EXPECT_EQ(parser.parse(std::string_view(buffer).substr(n)), kGet.size());
  EXPECT_TRUE(parser.complete());
}

TEST(RequestParser, IgnoresEmptyLinesBeforeARequest) {
  // RFC 9112 2.2: a server SHOULD ignore at least one empty line before it.
  RequestParser parser;
  std::string message = "\r\n" + kGet;
  EXPECT_EQ(parser.parse(message), message.size());
  EXPECT_TRUE(parser.complete());
}

TEST(RequestParser, TakeMovesTheRequestOutAndResets) {
  RequestParser parser;
  parser.parse(kGet);
  Request request = parser.take();
  EXPECT_EQ(request.target, "/chat?room=1");
  EXPECT_EQ(parser.state(), ParseState::need_more);
  EXPECT_TRUE(parser.request().target.empty());
  EXPECT_TRUE(parser.request().headers.empty());
}

TEST(RequestParser, IsMovable) {
  RequestParser first;
  first.parse(std::string_view(kGet).substr(0, 10));
  RequestParser second = std::move(first);
  EXPECT_EQ(second.parse(std::string_view(kGet).substr(10)), kGet.size() - 10);
  EXPECT_TRUE(second.complete());
}

TEST(RequestParser, TrimsValuesAndKeepsEmptyOnes) {
  RequestParser parser;
  parser.parse("GET / HTTP/1.1\r\nHost: h\r\nA:   spaced \t \r\nEmpty:\r\nB:\t\r\n\r\n");
  ASSERT_TRUE(parser.complete()) << parser.error_message();
  EXPECT_EQ(parser.request().headers.get("A"), "spaced");
  EXPECT_EQ(parser.request().headers.get("Empty"), "");
  EXPECT_EQ(parser.request().headers.get("B"), "");
}

TEST(RequestParser, AcceptsBareLineFeeds) {
  // RFC 9112 2.2: a recipient MAY recognize a single LF as a line terminator.
  RequestParser parser;
  parser.parse("GET / HTTP/1.1\nHost: h\n\n");
  EXPECT_TRUE(parser.complete());
}

// ---------------------------------------------------------------- keep-alive

bool keep_alive_of(const std::string& message) {
  RequestParser parser;
  parser.parse(message);
  EXPECT_TRUE(parser.complete()) << message;
  return parser.keep_alive();
}

TEST(RequestParser, KeepAliveFollowsRfc9112) {
  EXPECT_TRUE(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep_alive_of("GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n"));
  EXPECT_FALSE(keep_alive_of("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive_of("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

// ------------------------------------------------------------------ upgrade

TEST(RequestParser, UpgradeLeavesTheDraft76KeyUnconsumed) {
  std::string buffer = kUpgrade76 + kKey3;
  RequestParser parser;
  EXPECT_EQ(parser.parse(buffer), kUpgrade76.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_TRUE(parser.upgrade());
  EXPECT_FALSE(parser.keep_alive());
  EXPECT_EQ(parser.request().headers.get("Upgrade"), "WebSocket");
  EXPECT_TRUE(parser.request().body.empty());
}

TEST(RequestParser, UpgradeStopsAtTheHeadWhenFedByteAtATime) {
  std::string buffer = kUpgrade76 + kKey3;
  RequestParser parser;
  EXPECT_EQ(feed(parser, buffer, 1), kUpgrade76.size());
  EXPECT_TRUE(parser.upgrade());
}

TEST(RequestParser, UpgradeLeavesFramesAndAnyBodyUnconsumed) {
  std::string head =
      "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
      "Connection: keep-alive, Upgrade\r\nContent-Length: 5\r\n\r\n";
  std::string buffer = head + "\x81\x05hello";
  RequestParser parser;
  EXPECT_EQ(parser.parse(buffer), head.size());
  EXPECT_TRUE(parser.upgrade());
  EXPECT_TRUE(parser.request().body.empty());
}

TEST(RequestParser, ConnectLeavesTheTunnelUnconsumed) {
  std::string head = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
  RequestParser parser;
  EXPECT_EQ(parser.parse(head + "\x16\x03\x01"), head.size());
  EXPECT_TRUE(parser.upgrade());
  EXPECT_EQ(parser.request().method, "CONNECT");
  EXPECT_EQ(parser.request().target, "example.com:443");
}

TEST(RequestParser, UpgradeNotListedInConnectionIsIgnored) {
  // RFC 9110 7.8: Upgrade only counts when Connection lists it.
  std::string message = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n";
  RequestParser parser;
  EXPECT_EQ(parser.parse(message + "GET"), message.size());
  EXPECT_TRUE(parser.complete());
  EXPECT_FALSE(parser.upgrade());
  EXPECT_TRUE(parser.keep_alive());
}

// ------------------------------------------------------------------- limits

std::string request_with_head_size(std::size_t size) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX: ";
  std::string end = "\r\n\r\n";
  head.append(size - head.size() - end.size(), 'a');
  return head + end;
}

TEST(RequestParser, AcceptsAHeadOfExactlyTheLimit) {
  RequestParser parser({.max_header_bytes = 1000});
  std::string message = request_with_head_size(1000);
  EXPECT_EQ(feed(parser, message, 7), message.size());
  EXPECT_TRUE(parser.complete()) << parser.error_message();
}

TEST(RequestParser, RejectsAHeadOverTheLimitWith431) {
  for (std::size_t step : {1u, 7u, 5000u}) {
    RequestParser parser({.max_header_bytes = 1000});
    std::string message = request_with_head_size(1001);
    EXPECT_LE(feed(parser, message, step), 1000u);
    ASSERT_TRUE(parser.failed());
    EXPECT_EQ(parser.error(), ParseError::head_too_large);
    EXPECT_EQ(parser.error_status(), 431);
    EXPECT_FALSE(parser.error_message().empty());
  }
}

TEST(RequestParser, StopsAnEndlessHeadAtTheDefaultLimit) {
  RequestParser parser;
  std::string junk(4096, 'a');
  std::size_t consumed = parser.parse("GET / HTTP/1.1\r\nX: ");
  for (int i = 0; i < 100 && !parser.failed(); ++i) consumed += parser.parse(junk);
  EXPECT_EQ(parser.error_status(), 431);
  EXPECT_EQ(consumed, 16u * 1024);
  EXPECT_EQ(parser.parse(junk), 0u);
}

TEST(RequestParser, LimitsTheNumberOfFieldsWith431) {
  auto with_fields = [](int count) {
    std::string message = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 1; i < count; ++i) message += "X-" + std::to_string(i) + ": v\r\n";
    return message + "\r\n";
  };
  RequestParser ok({.max_header_count = 10});
  ok.parse(with_fields(10));
  EXPECT_TRUE(ok.complete());
  RequestParser parser({.max_header_count = 10});
  parser.parse(with_fields(11));
  EXPECT_EQ(parser.error(), ParseError::too_many_headers);
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(RequestParser, DefaultFieldCountLimitIs100) {
  std::string message = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 100; ++i) message += "X: v\r\n";
  RequestParser parser;
  parser.parse(message + "\r\n");
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(RequestParser, RejectsALongTargetWith414) {
  RequestParser ok({.max_target_length = 10});
  ok.parse("GET /123456789 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_TRUE(ok.complete());
  RequestParser parser({.max_target_length = 10});
  EXPECT_LT(feed(parser, "GET /1234567890 HTTP/1.1\r\nHost: h\r\n\r\n", 1), 16u);
  EXPECT_EQ(parser.error(), ParseError::target_too_long);
  EXPECT_EQ(parser.error_status(), 414);
}

TEST(RequestParser, RejectsALargeContentLengthBeforeTheBodyArrives) {
  RequestParser parser({.max_body_size = 10});
  parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n");
  EXPECT_EQ(parser.error(), ParseError::body_too_large);
  EXPECT_EQ(parser.error_status(), 413);
  RequestParser ok({.max_body_size = 10});
  ok.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789");
  EXPECT_TRUE(ok.complete());
}

TEST(RequestParser, RejectsAnOverlongChunkedBodyWith413) {
  RequestParser parser({.max_body_size = 10});
  parser.parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  parser.parse("8\r\n01234567\r\n");
  EXPECT_EQ(parser.state(), ParseState::need_more);
  parser.parse("3\r\n");
  parser.parse("89a");
  EXPECT_EQ(parser.error_status(), 413);
}

TEST(RequestParser, DefaultBodyLimitIsOneMebibyte) {
  RequestParser parser;
  parser.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n");
  EXPECT_EQ(parser.error_status(), 413);
}

TEST(RequestParser, CountsTrailersAgainstTheHeadLimits) {
  RequestParser parser({.max_header_bytes = 200});
  parser.parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
  std::string trailer = "T: " + std::string(300, 'x') + "\r\n\r\n";
  parser.parse(trailer);
  EXPECT_EQ(parser.error_status(), 431);
}

// Found by the fuzzer. Read whole, http_parser goes on past the head into
// the body and the trailers in one call; those bytes were counted as head
// and then again as trailer, failing what byte-at-a-time accepted. More than
// max_header_bytes in all, so that the trailer comes in a second call.
TEST(RequestParser, JudgesTrailersAlikeWholeOrByteByByte) {
  const RequestParser::Options options{.max_header_bytes = 512};
  const std::string body(400, 'b');
  const std::string message =
      "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n190\r\n" + body +
      "\r\n0\r\nT: " + std::string(100, 'x') + "\r\n\r\n";
  RequestParser whole(options);
  std::size_t used = 0;
  while (used < message.size() && whole.state() == ParseState::need_more) {
    used += whole.parse(std::string_view(message).substr(used));
  }
  EXPECT_TRUE(whole.complete()) << whole.error_message();
  EXPECT_EQ(used, message.size());
  RequestParser bytes(options);
  for (char c : message) bytes.parse(std::string_view(&c, 1));
  EXPECT_TRUE(bytes.complete()) << bytes.error_message();
  EXPECT_EQ(whole.request().body, body);
}

// -------------------------------------------------------- malformed input

int status_of(std::string_view message) {
  RequestParser parser;
  parser.parse(message);
  EXPECT_TRUE(parser.failed()) << message;
  EXPECT_FALSE(parser.error_message().empty());
  return parser.error_status();
}

TEST(RequestParser, RejectsMalformedRequestLinesWith400) {
  EXPECT_EQ(status_of("GET\r\n\r\n"), 400);
  EXPECT_EQ(status_of("G@T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("FOO / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / FTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.x\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(status_of(std::string_view("\0GET / HTTP/1.1\r\n\r\n", 19)), 400);
}

TEST(RequestParser, RejectsOtherMajorVersionsWith505) {
  EXPECT_EQ(status_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(status_of("GET /\r\n\r\n"), 505);  // HTTP/0.9
}

TEST(RequestParser, RejectsMalformedFieldsWith400) {
  // RFC 9112 5.1: no whitespace between the field name and the colon.
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nBad Name: v\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nA: x\ry\r\n\r\n"), 400);
  EXPECT_EQ(status_of(std::string_view("GET / HTTP/1.1\r\nHost: h\r\nA: x\0y\r\n\r\n", 35)), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: h\r\nA: x\x7fy\r\n\r\n"), 400);
}

TEST(RequestParser, RequiresExactlyOneHostInHttp11) {
  // RFC 9112 3.2.
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(status_of("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), 400);
}

TEST(RequestParser, RejectsAmbiguousBodyLengthsWith400) {
  // RFC 9112 6.1 and 6.3: smuggling vectors.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                      "Content-Length: 4\r\n\r\nabcd"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"),
            400);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
            400);
}

TEST(RequestParser, ErrorsAreStickyUntilReset) {
  RequestParser parser;
  parser.parse("BAD\r\n");
  ASSERT_TRUE(parser.failed());
  EXPECT_EQ(parser.parse(kGet), 0u);
  EXPECT_TRUE(parser.failed());
  parser.reset();
  EXPECT_EQ(parser.error(), ParseError::none);
  EXPECT_EQ(parser.error_status(), 0);
  EXPECT_EQ(parser.parse(kGet), kGet.size());
  EXPECT_TRUE(parser.complete());
}

TEST(RequestParser, EmptyInputConsumesNothing) {
  RequestParser parser;
  EXPECT_EQ(parser.parse(""), 0u);
  EXPECT_EQ(parser.state(), ParseState::need_more);
}

// ----------------------------------------------------------- ResponseParser

const std::string kSwitching =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "\r\n";

TEST(ResponseParser, StopsAtTheBlankLineOfA101) {
  std::string buffer = kSwitching + "\x81\x02hi";
  ResponseParser parser;
  EXPECT_EQ(parser.parse(buffer), kSwitching.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.head_size(), kSwitching.size());
  const ResponseHead& head = parser.head();
  EXPECT_EQ(head.status, 101);
  EXPECT_EQ(head.reason, "Switching Protocols");
  EXPECT_EQ(head.version_major, 1);
  EXPECT_EQ(head.version_minor, 1);
  EXPECT_EQ(head.headers.get("sec-websocket-accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(head.headers.size(), 3u);
  EXPECT_EQ(parser.parse("more"), 0u);
}

TEST(ResponseParser, EverySplitGivesTheSameHead) {
  std::string buffer = kSwitching + "\x81\x02hi";
  for (std::size_t step = 1; step < buffer.size(); ++step) {
    ResponseParser parser;
    EXPECT_EQ(feed(parser, buffer, step), kSwitching.size()) << "step " << step;
    ASSERT_TRUE(parser.complete());
    EXPECT_EQ(parser.head().reason, "Switching Protocols");
    EXPECT_EQ(parser.head().headers.get("Upgrade"), "websocket");
    EXPECT_EQ(parser.head_size(), kSwitching.size());
  }
}

TEST(ResponseParser, StopsAfterAConnectReply) {
  std::string head = "HTTP/1.0 200 Connection established\r\n\r\n";
  ResponseParser parser;
  EXPECT_EQ(parser.parse(head + "\x16\x03\x03"), head.size());
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.head().status, 200);
  EXPECT_EQ(parser.head().version_minor, 0);
}

TEST(ResponseParser, NeverReadsABody) {
  std::string head =
      "HTTP/1.1 407 Proxy Authentication Required\r\n"
      "Proxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 4\r\n\r\n";
  ResponseParser parser;
  EXPECT_EQ(parser.parse(head + "deny"), head.size());
  EXPECT_EQ(parser.head().status, 407);
  std::string chunked = "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n";
  ResponseParser second;
  EXPECT_EQ(second.parse(chunked + "4\r\nnope\r\n0\r\n\r\n"), chunked.size());
  EXPECT_TRUE(second.complete());
}

TEST(ResponseParser, SkipsInterimResponses) {
  std::string interim = "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n";
  std::string buffer = interim + kSwitching + "frames";
  for (std::size_t step : {1u, 5u, 1000u}) {
    ResponseParser parser;
    EXPECT_EQ(feed(parser, buffer, step), interim.size() + kSwitching.size());
    ASSERT_TRUE(parser.complete());
    EXPECT_EQ(parser.head().status, 101);
    EXPECT_FALSE(parser.head().headers.contains("X-Interim"));
    EXPECT_EQ(parser.head_size(), interim.size() + kSwitching.size());
  }
}

TEST(ResponseParser, AcceptsAnEmptyReasonAndSpaceBeforeColon) {
  ResponseParser parser;
  parser.parse("HTTP/1.1 101 \r\nUpgrade : websocket\r\n\r\n");
  ASSERT_TRUE(parser.complete()) << parser.error_message();
  EXPECT_EQ(parser.head().reason, "");
  EXPECT_EQ(parser.head().headers.get("Upgrade"), "websocket");
}

TEST(ResponseParser, RejectsAHeadOverTheLimit) {
  std::string head = "HTTP/1.1 101 OK\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  ResponseParser parser({.max_head_bytes = 64});
  EXPECT_EQ(feed(parser, head, 10), 64u);
  EXPECT_EQ(parser.error(), ParseError::head_too_large);
  ResponseParser fits({.max_head_bytes = head.size()});
  EXPECT_EQ(fits.parse(head + "x"), head.size());
  EXPECT_TRUE(fits.complete());
}

TEST(ResponseParser, DefaultHeadLimitIs16KiB) {
  ResponseParser parser;
  std::string junk = "HTTP/1.1 101 OK\r\nX: " + std::string(20000, 'a');
  EXPECT_EQ(parser.parse(junk), 16u * 1024);
  EXPECT_EQ(parser.error(), ParseError::head_too_large);
}

TEST(ResponseParser, LimitsTheNumberOfFields) {
  std::string head = "HTTP/1.1 101 OK\r\n";
  for (int i = 0; i < 4; ++i) head += "X: v\r\n";
  ResponseParser parser({.max_header_count = 3});
  parser.parse(head + "\r\n");
  EXPECT_EQ(parser.error(), ParseError::too_many_headers);
}

// ------------------------------------------- the one-pass path for plain GETs

// Everything a caller can see of a parse, for comparing two of them. (How
// far a failed parse got depends on the cuts: http_parser reports a token
// where it ends or where the buffer does.)
std::string outcome(std::string_view input, std::size_t step, RequestParser::Options options = {}) {
  RequestParser parser(options);
  const std::size_t used = feed(parser, input, step);
  if (parser.failed()) return "status " + std::to_string(parser.error_status());
  std::string out =
      std::to_string(used) + " state " + std::to_string(static_cast<int>(parser.state())) + "\n";
  if (!parser.complete()) return out;
  const Request& request = parser.request();
  out += request.method + " " + request.target + " " + std::to_string(request.version_major) + "." +
         std::to_string(request.version_minor) + " keep-alive " +
         std::to_string(parser.keep_alive()) + " upgrade " + std::to_string(parser.upgrade()) +
         "\n";
  for (const auto& [name, value] : request.headers) {
    out.append(name).append(": [").append(value).append("]\n");
  }
  return out + "body [" + request.body + "]";
}

const std::string kHandshake =
    "GET /chat?room=1 HTTP/1.1\r\n"
    "Host: example.com:80\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

TEST(SimpleRequest, TakesAPlainHandshakeWhole) {
  Request request;
  const auto simple = detail::parse_simple_request(kHandshake + "frames", {}, request);
  EXPECT_EQ(simple.head_size, kHandshake.size());
  EXPECT_TRUE(simple.upgrade);
  EXPECT_FALSE(simple.keep_alive);
  EXPECT_EQ(request.target, "/chat?room=1");
  EXPECT_EQ(request.headers.size(), 5u);
  EXPECT_EQ(request.headers.get("sec-websocket-key"), "dGhlIHNhbXBsZSBub25jZQ==");
}

// What the one-pass path leaves to http_parser, and plain heads it takes:
// either way, a head given whole must parse exactly as the same bytes given
// one at a time (which never reach the one-pass path).
const std::vector<std::string> kDifferentialCases = {
    kHandshake,
    kGet,
    kUpgrade76 + kKey3,
    kChunkedPost,
    "GET / HTTP/1.0\r\n\r\n",
    "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: up grade\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nUpgrade:\r\nConnection: upgrade\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: \t \r\nConnection: upgrade\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection:\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: close2, Upgrade2\r\nUpgrade: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: ,close,\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    // http_parser takes a name that only begins with Transfer-Encoding for it.
    "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encodingx: 4 y\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\ntransfer-encoding-2: chunked\r\n\r\n0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Lengthx: 5\r\n\r\nabcde",
    "GET / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Blank:   \t\r\nX-Pad: \t v \t\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789abcdef\tghijklmnopqrstuvwxyz  \r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789abcdefghij\x7fklmnop\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789abcdefghijklmnopqrstu\x01vwxyz\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789abcdefghijklmnopqrstu\rvwxyz\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\nX: y\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\n: no name\r\n\r\n",
    "GET / HTTP/1.1\nHost: a\n\n",
    "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n",
    "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /{}|^ HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET * HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "GET / HTTP/1.2\r\nHost: a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\n\r",
    "get / HTTP/1.1\r\nHost: a\r\n\r\n",
    "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: b\r\n\r\n",
};

TEST(SimpleRequest, WholeHeadsParseAsTheSameBytesOneAtATime) {
  for (const std::string& input : kDifferentialCases) {
    EXPECT_EQ(outcome(input, input.size()), outcome(input, 1)) << input;
  }
}

TEST(SimpleRequest, LimitsAreTheGeneralPathsAtEveryBoundary) {
  std::string many = "GET /" + std::string(40, 't') + " HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 40; ++i) many += "X-Field-" + std::to_string(i) + ": value\r\n";
  many += "\r\n";
  for (std::size_t limit : {1u, 10u, 39u, 40u, 41u}) {
    const RequestParser::Options fields{.max_header_count = limit};
    EXPECT_EQ(outcome(many, many.size(), fields), outcome(many, 1, fields)) << limit;
    const RequestParser::Options target{.max_target_length = limit};
    EXPECT_EQ(outcome(many, many.size(), target), outcome(many, 1, target)) << limit;
  }
  for (std::size_t limit = many.size() - 3; limit <= many.size() + 1; ++limit) {
    const RequestParser::Options bytes{.max_header_bytes = limit};
    EXPECT_EQ(outcome(many, many.size(), bytes), outcome(many, 1, bytes)) << limit;
  }
}

TEST(SimpleRequest, DeclinesWhatHttpParserMustJudge) {
  for (std::string_view input :
       {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nX-Fold: a\r\n b\r\n\r\n", "GET / HTTP/1.1\nHost: a\n\n",
        "GET / HTTP/1.1\r\nHost: a\r\n", "POST / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: caf\xc3\xa9\r\n\r\n"}) {
    Request request;
    EXPECT_EQ(detail::parse_simple_request(input, {}, request).head_size, 0u) << input;
    EXPECT_TRUE(request.headers.empty());
  }
}

TEST(ResponseParser, RejectsMalformedStatusLines) {
  for (std::string_view bad :
       {"HTTP/1.1 1010 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1\r\n\r\n", "<html>\r\n\r\n",
        "HTTP/1.1 101 OK\r\nBad Name: v\r\n\r\n"}) {
    ResponseParser parser;
    parser.parse(bad);
    EXPECT_EQ(parser.error(), ParseError::malformed) << bad;
    EXPECT_FALSE(parser.error_message().empty());
  }
  ResponseParser v2;
  v2.parse("HTTP/2.0 101 OK\r\n\r\n");
  EXPECT_EQ(v2.error(), ParseError::unsupported_version);
}

TEST(ResponseParser, ResetParsesAnotherHead) {
  ResponseParser parser;
  parser.parse(kSwitching);
  ResponseHead head = parser.take();
  EXPECT_EQ(head.status, 101);
  EXPECT_EQ(parser.state(), ParseState::need_more);
  EXPECT_EQ(parser.head_size(), 0u);
  EXPECT_EQ(parser.parse(kSwitching), kSwitching.size());
  EXPECT_TRUE(parser.complete());
}

}  // namespace
}  // namespace faye::http
