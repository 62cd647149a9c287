// faye::WebSocket on the server side, over real sockets on loopback: the
// browser API against the library's own client and against raw bytes.
#include "faye/websocket.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <iterator>

#include "faye/driver/permessage_deflate.hpp"
#include "faye/error.hpp"
#include "websocket_server_fixture.hpp"
#include "ws_test_client.hpp"

namespace faye::test {
namespace {

std::string pattern(std::size_t size, std::size_t seed) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

std::string random_bytes(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 2654435761u) >> 13);
  return s;
}

// This process's open descriptors: the server runs in it.
std::size_t count_open_descriptors() {
  return static_cast<std::size_t>(std::distance(
      std::filesystem::directory_iterator("/proc/self/fd"), std::filesystem::directory_iterator()));
}

TEST_F(WebSocketServerTest, EchoesTextAndBinaryFromEmptyTo16MiB) {
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  const std::vector<std::size_t> sizes{0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20};
  std::vector<std::string> sent;
  ws->onopen = [&](const OpenEvent&) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      sent.push_back(pattern(sizes[i], i));
      ASSERT_TRUE(ws->send(std::string_view(sent.back())));
      sent.push_back(random_bytes(sizes[i]));
      ASSERT_TRUE(ws->send(as_bytes(sent.back())));
    }
  };
  ASSERT_TRUE(run_until([&] { return !sent.empty() && seen->messages.size() == sent.size(); }, 60s));
  for (std::size_t i = 0; i < sent.size(); ++i) {
    ASSERT_EQ(seen->messages[i].size(), sent[i].size()) << i;
    EXPECT_TRUE(seen->messages[i] == sent[i]) << "message " << i;
    EXPECT_EQ(seen->binary[i], i % 2 == 1) << i;
  }
  ws->close(1000, "done");
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  EXPECT_EQ(seen->closed->code, 1000);
  EXPECT_TRUE(seen->closed->was_clean);
  EXPECT_TRUE(seen->errors.empty());
}

TEST_F(WebSocketServerTest, ReportsProtocolVersionAndUrl) {
  options.protocols = {"b"};
  std::string server_url, server_version, server_protocol;
  setup = [&](const std::shared_ptr<WebSocket>& ws) {
    WebSocket* raw = ws.get();
    ws->onopen = [&, raw](const OpenEvent&) {
      record([&] {
        server_url = raw->url();
        server_version = raw->version();
        server_protocol = raw->protocol();
      });
    };
  };
  start();
  auto ws = WebSocket::Client::connect(loop, url("/chat?room=1"), {.protocols = {"a", "b"}});
  auto seen = observe(ws);
  ASSERT_TRUE(run_until([&] { return seen->opened; }));
  EXPECT_EQ(ws->protocol(), "b");
  EXPECT_EQ(ws->ready_state(), ReadyState::open);
  ASSERT_TRUE(server_eventually([&] { return !server_version.empty(); }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(server_version, "hybi-13");
  EXPECT_EQ(server_protocol, "b");
  EXPECT_EQ(server_url, url("/chat?room=1"));
}

TEST_F(WebSocketServerTest, AnswersPingsWithTheCallback) {
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  int pongs = 0;
  ws->onopen = [&](const OpenEvent&) {
    ASSERT_TRUE(ws->ping("are you there", [&] { ++pongs; }));
  };
  ASSERT_TRUE(run_until([&] { return pongs == 1; }));
  EXPECT_FALSE(ws->ping(std::string(126, 'x')));
}

TEST_F(WebSocketServerTest, ClientCloseReachesTheServerWithCodeAndReason) {
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ws->onopen = [&](const OpenEvent&) { ws->close(4000, "client done"); };
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  EXPECT_EQ(seen->closed->code, 4000);
  EXPECT_TRUE(seen->closed->was_clean);
  ASSERT_TRUE(server_eventually([&] { return !server_closes.empty(); }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(server_closes[0].code, 4000);
  EXPECT_EQ(server_closes[0].reason, "client done");
  EXPECT_TRUE(server_closes[0].was_clean);
}

TEST_F(WebSocketServerTest, ServerCloseReachesTheClientWithCodeAndReason) {
  setup = [](const std::shared_ptr<WebSocket>& ws) {
    WebSocket* raw = ws.get();
    ws->onopen = [raw](const OpenEvent&) { raw->close(4001, "server done"); };
  };
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  EXPECT_EQ(seen->closed->code, 4001);
  EXPECT_EQ(seen->closed->reason, "server done");
  EXPECT_TRUE(seen->closed->was_clean);
  ASSERT_TRUE(server_eventually([&] { return !server_closes.empty(); }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(server_closes[0].code, 4001);
  EXPECT_TRUE(server_closes[0].was_clean);
}

// RFC 6455 7.1.1: once the closing handshake is done the server closes the
// TCP connection first, without waiting for the client's FIN: its descriptor
// goes at once, not after the 5 s a lingering close would allow the client.
TEST_F(WebSocketServerTest, ClosesTheTcpConnectionFirstAfterTheClosingHandshake) {
  start();
  TcpClient raw(server->port());
  raw.send(hybi_request(server->port()));
  raw.read_until("\r\n\r\n");
  // An echo first: the server's loop has set up what it creates on first use
  // (its readiness set) before the descriptors are counted.
  raw.send(client_frame(opcode::text, "x"));
  EXPECT_EQ(read_frame(raw).payload, "x");
  const std::size_t open_descriptors = count_open_descriptors();
  raw.send(client_frame(opcode::close, std::string("\x03\xe8", 2)));
  Frame close = read_frame(raw);
  EXPECT_EQ(close.opcode, opcode::close);
  EXPECT_TRUE(raw.reads_eof());
  // The client keeps its end open; the server lets go of its own.
  EXPECT_TRUE(
      server_eventually([&] { return count_open_descriptors() == open_descriptors - 1; }, 2500ms));
  ASSERT_TRUE(server_eventually([&] { return !server_closes.empty(); }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(server_closes[0].code, 1000);
  EXPECT_TRUE(server_closes[0].was_clean);
}

TEST_F(WebSocketServerTest, ClosesWith1009OverMaxLength) {
  options.max_length = 1000;
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ws->onopen = [&](const OpenEvent&) {
    ws->send(std::string_view(std::string(1000, 'a')));
    ws->send(std::string_view(std::string(1001, 'b')));
  };
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  EXPECT_EQ(seen->messages.size(), 1u);
  EXPECT_EQ(seen->closed->code, 1009);
  ASSERT_TRUE(server_eventually([&] { return !server_closes.empty(); }));
  std::lock_guard lock(mutex);
  ASSERT_EQ(server_errors.size(), 1u);
  EXPECT_EQ(server_errors[0].error, Error::message_too_big);
  EXPECT_EQ(server_closes[0].code, 1009);
}

TEST_F(WebSocketServerTest, EchoesFragmentedInputAndAnswersInterleavedPings) {
  start();
  TcpClient raw(server->port());
  raw.send(hybi_request(server->port()));
  std::string head = raw.read_until("\r\n\r\n");
  ASSERT_NE(head.find(std::string(hybi_accept)), std::string::npos);
  raw.send(client_frame(opcode::text, "Hel", false) + client_frame(opcode::ping, "p") +
           client_frame(opcode::continuation, "lo, ", false) +
           client_frame(opcode::continuation, "κόσμε"));
  Frame pong = read_frame(raw);
  EXPECT_EQ(pong.opcode, opcode::pong);
  EXPECT_EQ(pong.payload, "p");
  Frame echo = read_message(raw);
  EXPECT_EQ(echo.opcode, opcode::text);
  EXPECT_EQ(echo.payload, "Hello, κόσμε");
}

TEST_F(WebSocketServerTest, DropsAPeerThatNeverAnswersTheCloseAfterTheTimeout) {
  options.close_timeout = 300ms;
  setup = [](const std::shared_ptr<WebSocket>& ws) {
    WebSocket* raw = ws.get();
    ws->onopen = [raw](const OpenEvent&) { raw->close(1000, "bye"); };
  };
  start();
  TcpClient raw(server->port());
  raw.send(hybi_request(server->port()));
  raw.read_until("\r\n\r\n");
  Frame close = read_frame(raw);
  EXPECT_EQ(close.opcode, opcode::close);
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(server_eventually([&] { return !server_closes.empty(); }));
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  EXPECT_TRUE(raw.reads_eof());
  std::lock_guard lock(mutex);
  EXPECT_EQ(server_closes[0].code, 1006);
  EXPECT_FALSE(server_closes[0].was_clean);
  ASSERT_EQ(server_errors.size(), 1u);
  EXPECT_EQ(server_errors[0].error, Error::close_timeout);
}

TEST_F(WebSocketServerTest, DisconnectsASlowReaderAtTheBufferCap) {
  options.max_buffered_amount = 1 << 20;
  setup = [](const std::shared_ptr<WebSocket>& ws) {
    WebSocket* raw = ws.get();
    ws->onopen = [raw](const OpenEvent&) {
      std::string chunk(64 * 1024, 'x');
      // Far more than the kernel's socket buffers and the cap together.
      for (int i = 0; i < 2000 && raw->ready_state() == ReadyState::open; ++i) {
        raw->send(std::string_view(chunk));
        if (raw->buffered_amount() > (2u << 20)) break;
      }
    };
  };
  start();
  TcpClient raw(server->port());
  raw.send(hybi_request(server->port()));  // ... and never read again
  ASSERT_TRUE(server_eventually([&] { return !server_closes.empty(); }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(server_closes[0].code, 1006);
  ASSERT_FALSE(server_errors.empty());
  EXPECT_EQ(server_errors[0].error, Error::write_buffer_full);
}

TEST_F(WebSocketServerTest, NegotiatesPermessageDeflateAndEchoesWithAndWithoutCompression) {
  options.extensions = {std::make_shared<driver::PermessageDeflate>()};
  start();
  auto ws = WebSocket::Client::connect(
      loop, url(), {.extensions = {std::make_shared<driver::PermessageDeflate>()}});
  auto seen = observe(ws);
  std::string text = pattern(100000, 3);
  ws->onopen = [&](const OpenEvent&) {
    ws->send(std::string_view(text));
    ws->send(std::string_view(text), {.compress = false});
    ws->send(as_bytes(text));
  };
  ASSERT_TRUE(run_until([&] { return seen->messages.size() == 3; }));
  EXPECT_NE(ws->extensions().find("permessage-deflate"), std::string::npos);
  for (const std::string& echo : seen->messages) EXPECT_TRUE(echo == text);
}

TEST_F(WebSocketServerTest, SendsAutomaticPings) {
  options.ping = 50ms;
  start();
  TcpClient raw(server->port());
  raw.send(hybi_request(server->port()));
  raw.read_until("\r\n\r\n");
  for (int i = 1; i <= 2; ++i) {
    Frame ping = read_frame(raw, 2s);
    EXPECT_EQ(ping.opcode, opcode::ping);
    raw.send(client_frame(opcode::pong, ping.payload));
  }
}

TEST_F(WebSocketServerTest, FiresDrainOnceASlowReaderCatchesUp) {
  std::atomic<int> drains{0};
  std::atomic<std::size_t> peak{0};
  setup = [&](const std::shared_ptr<WebSocket>& ws) {
    WebSocket* raw = ws.get();
    ws->ondrain = [&, raw] {
      ++drains;
      EXPECT_EQ(raw->buffered_amount(), 0u);
      changed.notify_all();
    };
    ws->onopen = [&, raw](const OpenEvent&) {
      // 32 MiB: more than loopback's socket buffers can take at once, so the
      // socket pushes back and the queue drains later.
      std::string chunk(1024 * 1024, 'x');
      for (int i = 0; i < 32; ++i) raw->send(std::string_view(chunk));
      peak = raw->buffered_amount();
    };
  };
  start();
  TcpClient raw(server->port());
  raw.send(hybi_request(server->port()));
  raw.read_until("\r\n\r\n");
  ASSERT_TRUE(server_eventually([&] { return peak.load() > 0; }));
  EXPECT_GT(peak.load(), 1u << 20);  // the kernel could not take it all at once
  for (int i = 0; i < 32; ++i) {
    Frame message = read_frame(raw);
    ASSERT_EQ(message.payload.size(), 1024u * 1024);
  }
  EXPECT_TRUE(server_eventually([&] { return drains.load() >= 1; }));
}

TEST_F(WebSocketServerTest, ReleasesSocketsAndHandlersAfterClose) {
  setup = [](const std::shared_ptr<WebSocket>& ws) {
    // A handler capturing its own socket: a cycle that only the library's
    // release of handlers after onclose can break.
    ws->onmessage = [ws](const MessageEvent& e) { ws->send(e.data); };
  };
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ws->onopen = [&](const OpenEvent&) { ws->send("x"); };
  ASSERT_TRUE(run_until([&] { return seen->messages.size() == 1; }));
  ws->close();
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  std::weak_ptr<WebSocket> client = ws;
  ws.reset();
  loop.poll();
  EXPECT_TRUE(client.expired());
  ASSERT_TRUE(server_eventually([&] {
    return !server_sockets.empty() && server_sockets[0].expired();
  }));
}

TEST_F(WebSocketServerTest, GracefulStopClosesSocketsWithGoingAway) {
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ASSERT_TRUE(run_until([&] { return seen->opened; }));
  server->stop();
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  EXPECT_EQ(seen->closed->code, 1001);
  server->wait();
}

TEST_F(WebSocketServerTest, SendReturnsFalseWhenNotOpen) {
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  EXPECT_EQ(ws->ready_state(), ReadyState::connecting);
  EXPECT_FALSE(ws->send("too early"));
  ReadyState after_close = ReadyState::open;
  bool sent_after_close = true;
  ws->onopen = [&](const OpenEvent&) {
    // On the socket's loop, close() takes effect at once.
    ws->close();
    after_close = ws->ready_state();
    sent_after_close = ws->send("too late");
  };
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  EXPECT_EQ(after_close, ReadyState::closing);
  EXPECT_FALSE(sent_after_close);
  EXPECT_EQ(ws->ready_state(), ReadyState::closed);
}

TEST_F(WebSocketServerTest, SpeaksDraft75) {
  start();
  TcpClient raw(server->port());
  raw.send("GET /demo HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: WebSocket\r\n"
           "Connection: Upgrade\r\nOrigin: http://example.com\r\n\r\n");
  std::string head = raw.read_until("\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 101 Web Socket Protocol Handshake\r\n"));
  EXPECT_NE(head.find("WebSocket-Location: ws://127.0.0.1/demo\r\n"), std::string::npos);
  raw.send(hixie_text_frame("hello κόσμε"));
  EXPECT_EQ(raw.read_exact(hixie_text_frame("hello κόσμε").size()), hixie_text_frame("hello κόσμε"));
}

TEST_F(WebSocketServerTest, SpeaksDraft76AndClosesWithItsClosingFrame) {
  start();
  TcpClient raw(server->port());
  raw.send(draft76_request_head(server->port()) + std::string(draft76_key3));
  std::string head = raw.read_until("\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 101 WebSocket Protocol Handshake\r\n"));
  EXPECT_EQ(raw.read_exact(16), draft76_answer);
  raw.send(hixie_text_frame("ping"));
  EXPECT_EQ(raw.read_exact(6), hixie_text_frame("ping"));
  raw.send(std::string("\xFF\x00", 2));
  EXPECT_EQ(raw.read_exact(2), std::string("\xFF\x00", 2));
  EXPECT_TRUE(raw.reads_eof());
  ASSERT_TRUE(server_eventually([&] { return !server_closes.empty(); }));
}

TEST_F(WebSocketServerTest, RefusesABadHandshakeWith400AndKeepsServing) {
  start();
  {
    TcpClient raw(server->port());
    raw.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: nope\r\n\r\n");
    std::string head = raw.read_until("\r\n\r\n");
    EXPECT_TRUE(head.starts_with("HTTP/1.1 400 Bad Request"));
    std::size_t length_at = head.find("Content-Length: ");
    ASSERT_NE(length_at, std::string::npos);
    raw.read_exact(std::stoul(head.substr(length_at + 16)));  // the reason, for people
    EXPECT_TRUE(raw.reads_eof());
  }
  {
    TcpClient raw(server->port());
    raw.send("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Version: 12\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    std::string head = raw.read_until("\r\n\r\n");
    EXPECT_TRUE(head.starts_with("HTTP/1.1 426 Upgrade Required"));
    EXPECT_NE(head.find("Sec-WebSocket-Version: 13"), std::string::npos);
  }
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ASSERT_TRUE(run_until([&] { return seen->opened; }));
}

}  // namespace
}  // namespace faye::test
