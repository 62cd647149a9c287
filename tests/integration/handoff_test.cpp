// Hand-off from another server (WebSocket::adopt): the examples handoff_beast
// and handoff_asio run as child processes, and a hand-made client checks that
// the descriptor, the request head and the bytes read past it become a
// working WebSocket: hybi-13 echo, draft-76 with key3 in the head's write,
// frames in the handshake's write, the closing handshake.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "faye/http/parser.hpp"
#include "integration/ws_test_client.hpp"

namespace faye::test {
namespace {

struct Example {
  const char* name;
  const char* path;
  bool keeps_alive;  // serves several HTTP requests on one connection
};

void PrintTo(const Example& example, std::ostream* out) {
  *out << example.name;
}

std::vector<Example> examples() {
  std::vector<Example> out;
#ifdef FAYE_HANDOFF_BEAST_BIN
  out.push_back({"beast", FAYE_HANDOFF_BEAST_BIN, true});
#endif
#ifdef FAYE_HANDOFF_ASIO_BIN
  out.push_back({"asio", FAYE_HANDOFF_ASIO_BIN, false});
#endif
  return out;
}

class Handoff : public ::testing::TestWithParam<Example> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ChildProcess>(std::vector<std::string>{GetParam().path, "0"});
    const std::string line = server_->read_line();
    const std::string prefix = "listening on ";
    ASSERT_TRUE(line.starts_with(prefix)) << line;
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
  }

  void TearDown() override {
    // Whatever a test did, the server must still be up (a crash, or an ASan
    // report in a sanitized build, ends it).
    EXPECT_TRUE(server_->running())
        << GetParam().name << " (pid " << server_->pid() << ") exited during the test";
    server_.reset();
  }

  // Reads the 101 answer to hybi_request() and checks the accept key.
  static void expect_hybi_accepted(TcpClient& client) {
    http::ResponseParser parser;
    parser.parse(client.read_until("\r\n\r\n"));
    ASSERT_TRUE(parser.complete());
    EXPECT_EQ(parser.head().status, 101);
    EXPECT_EQ(parser.head().headers.get("Sec-WebSocket-Accept").value_or(""), hybi_accept);
  }

  std::unique_ptr<TcpClient> open_hybi() {
    auto client = std::make_unique<TcpClient>(port_);
    client->send(hybi_request(port_));
    expect_hybi_accepted(*client);
    return client;
  }

  std::unique_ptr<ChildProcess> server_;
  std::uint16_t port_ = 0;
};

const std::vector<std::size_t> message_sizes{0, 1, 125, 126, 127, 65535, 65536, 1 << 20};

TEST_P(Handoff, EchoesTextOfManySizes) {
  auto client = open_hybi();
  for (std::size_t size : message_sizes) {
    std::string text(size, ' ');
    for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
    client->send(client_frame(opcode::text, text));
    Frame echo = read_message(*client);
    EXPECT_EQ(echo.opcode, opcode::text) << size;
    EXPECT_TRUE(echo.payload == text) << "text of " << size << " bytes came back altered";
  }
  const std::string utf8 = "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80";  // 2-, 3-, 4-byte forms
  client->send(client_frame(opcode::text, utf8));
  EXPECT_EQ(read_message(*client).payload, utf8);
}

TEST_P(Handoff, EchoesBinaryOfManySizes) {
  auto client = open_hybi();
  for (std::size_t size : message_sizes) {
    std::string bytes(size, '\0');
    for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 31 + 7);
    client->send(client_frame(opcode::binary, bytes));
    Frame echo = read_message(*client);
    EXPECT_EQ(echo.opcode, opcode::binary) << size;
    EXPECT_TRUE(echo.payload == bytes) << "binary of " << size << " bytes came back altered";
  }
}

TEST_P(Handoff, EchoesFragmentedMessageWhole) {
  auto client = open_hybi();
  client->send(client_frame(opcode::text, "frag", false) +
               client_frame(opcode::continuation, "men", false) +
               client_frame(opcode::continuation, "ted", true));
  Frame echo = read_message(*client);
  EXPECT_EQ(echo.opcode, opcode::text);
  EXPECT_EQ(echo.payload, "fragmented");
}

// The frames follow the head in one write: the server read them with the
// head, so they reach faye as already_read.
TEST_P(Handoff, FramesInTheHandshakeWriteAreHandedOver) {
  TcpClient client(port_);
  client.send(hybi_request(port_) + client_frame(opcode::text, "early") +
              client_frame(opcode::binary, std::string("\x00\x01\xFF", 3)));
  expect_hybi_accepted(client);
  Frame text = read_message(client);
  EXPECT_EQ(text.opcode, opcode::text);
  EXPECT_EQ(text.payload, "early");
  Frame binary = read_message(client);
  EXPECT_EQ(binary.opcode, opcode::binary);
  EXPECT_EQ(binary.payload, std::string("\x00\x01\xFF", 3));
}

// Draft-76 1.3: key3 is 8 bytes after the head, which a server reading the
// head always reads too. Without them as already_read the challenge could
// never be answered.
TEST_P(Handoff, Draft76Key3InTheHeadWrite) {
  TcpClient client(port_);
  client.send(draft76_request_head(port_) + std::string(draft76_key3));
  http::ResponseParser parser;
  parser.parse(client.read_until("\r\n\r\n"));
  ASSERT_TRUE(parser.complete());
  EXPECT_EQ(parser.head().status, 101);
  EXPECT_EQ(parser.head().headers.get("Sec-WebSocket-Location").value_or(""),
            "ws://127.0.0.1:" + std::to_string(port_) + "/demo");
  EXPECT_EQ(parser.head().headers.get("Sec-WebSocket-Origin").value_or(""), "http://example.com");
  EXPECT_EQ(client.read_exact(draft76_answer.size()), draft76_answer);

  client.send(hixie_text_frame("hello, hixie"));
  EXPECT_EQ(client.read_until("\xFF"), hixie_text_frame("hello, hixie"));

  // Draft-76 5.3: the server answers the closing frame and closes.
  client.send(std::string("\xFF\x00", 2));
  EXPECT_EQ(client.read_exact(2), std::string("\xFF\x00", 2));
  EXPECT_TRUE(client.reads_eof());
  EXPECT_EQ(server_->read_line(), "close 1000 ");
}

TEST_P(Handoff, Draft76Key3AndAFrameInTheHeadWrite) {
  TcpClient client(port_);
  client.send(draft76_request_head(port_) + std::string(draft76_key3) +
              hixie_text_frame("right behind the key"));
  client.read_until("\r\n\r\n");
  EXPECT_EQ(client.read_exact(draft76_answer.size()), draft76_answer);
  EXPECT_EQ(client.read_until("\xFF"), hixie_text_frame("right behind the key"));
}

// RFC 6455 5.5.1: the server answers with the code it received (the reason
// is optional in the answer; Faye's driver repeats it, faye C++ does not) and
// ends the connection; the application's onclose sees both code and reason.
TEST_P(Handoff, CloseCodeAndReasonAreEchoed) {
  auto client = open_hybi();
  client->send(client_frame(opcode::text, "before close"));
  EXPECT_EQ(read_message(*client).payload, "before close");
  client->send(client_frame(opcode::close, close_payload(4001, "going home")));
  Frame close = read_frame(*client);
  EXPECT_EQ(close.opcode, opcode::close);
  EXPECT_EQ(close.payload.substr(0, 2), close_payload(4001, ""));
  EXPECT_THAT(close.payload.substr(2), ::testing::AnyOf("", "going home"));
  EXPECT_TRUE(client->reads_eof());
  EXPECT_EQ(server_->read_line(), "close 4001 going home");
}

TEST_P(Handoff, ServesPlainHttpItself) {
  TcpClient client(port_);
  client.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const std::string head = client.read_until("\r\n\r\n");
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_TRUE(client.read_until("\n").starts_with("Hello from")) << head;
  EXPECT_TRUE(client.reads_eof());
}

// A keep-alive connection that served plain requests can still be upgraded:
// only what the server buffered after the last head is handed over.
TEST_P(Handoff, UpgradesAfterPlainRequestsOnOneConnection) {
  if (!GetParam().keeps_alive) GTEST_SKIP() << GetParam().name << " closes after each response";
  TcpClient client(port_);
  const std::string plain = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  client.send(plain + plain);  // pipelined
  for (int i = 0; i < 2; ++i) {
    http::ResponseParser parser;
    parser.parse(client.read_until("\r\n\r\n"));
    ASSERT_TRUE(parser.complete());
    EXPECT_EQ(parser.head().status, 200);
    const auto length =
        std::stoul(std::string(parser.head().headers.get("Content-Length").value_or("0")));
    client.read_exact(length);
  }
  client.send(hybi_request(port_) + client_frame(opcode::text, "upgraded"));
  expect_hybi_accepted(client);
  EXPECT_EQ(read_message(client).payload, "upgraded");
}

// Every hand-off crosses threads (server thread -> faye loop): many at once.
TEST_P(Handoff, ManyConcurrentHandoffs) {
  constexpr int count = 24;
  std::vector<std::unique_ptr<TcpClient>> clients;
  for (int i = 0; i < count; ++i) {
    clients.push_back(std::make_unique<TcpClient>(port_));
    clients.back()->send(hybi_request(port_) + client_frame(opcode::text, std::to_string(i)));
  }
  for (int i = 0; i < count; ++i) {
    expect_hybi_accepted(*clients[i]);
    EXPECT_EQ(read_message(*clients[i]).payload, std::to_string(i));
  }
}

INSTANTIATE_TEST_SUITE_P(Examples, Handoff, ::testing::ValuesIn(examples()),
                         [](const ::testing::TestParamInfo<Example>& info) {
                           return std::string(info.param.name);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Handoff);

}  // namespace
}  // namespace faye::test
