// `faye-ws connect` as a user meets it: the built binary in a child process,
// typed at through a pipe and read through another, talking to `faye-ws
// serve` (a second child) on a free loopback port. Every read has a deadline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "integration/pipe_process.hpp"
#include "integration/refused_port.hpp"

namespace {

using namespace std::chrono_literals;
using faye::test::PipeProcess;
using faye::test::RefusedPort;

#ifdef FAYE_WS_BIN
constexpr const char* faye_ws_binary = FAYE_WS_BIN;
#else
constexpr const char* faye_ws_binary = nullptr;
#endif

// `faye-ws serve` on 127.0.0.1 and a port of its choosing.
struct Server {
  std::unique_ptr<PipeProcess> process;
  std::uint16_t port = 0;

  explicit Server(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args{faye_ws_binary, "serve", "--host",    "127.0.0.1",
                                  "--port",       "0",     "--threads", "1"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process = std::make_unique<PipeProcess>(args);
    const std::string line = process->read_line();
    static const std::regex pattern(
        R"(^faye-ws serve: listening on http://127\.0\.0\.1:(\d+)/ .*)");
    std::smatch match;
    if (!std::regex_match(line, match, pattern)) {
      throw std::runtime_error("unexpected first line from serve: " + line);
    }
    port = static_cast<std::uint16_t>(std::stoi(match[1]));
  }

  std::string url(std::string_view path = "/") const {
    return "ws://127.0.0.1:" + std::to_string(port) + std::string(path);
  }
};

std::unique_ptr<PipeProcess> start_connect(const std::string& url,
                                           std::vector<std::string> extra_args = {}) {
  std::vector<std::string> args{faye_ws_binary, "connect", url};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return std::make_unique<PipeProcess>(args);
}

// The exit status of a child that exited normally, or -1.
int exit_status(std::optional<int> wait_status) {
  if (!wait_status || !WIFEXITED(*wait_status)) return -1;
  return WEXITSTATUS(*wait_status);
}

class ConnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (faye_ws_binary == nullptr) GTEST_SKIP() << "FAYE_WS_BIN is not set (examples not built)";
  }
};

TEST_F(ConnectTest, PrintsOpenWithPermessageDeflateByDefault) {
  Server server;
  auto client = start_connect(server.url());
  const std::string open = client->read_line();
  EXPECT_TRUE(open.starts_with("open (protocol: none, extensions: permessage-deflate")) << open;
  EXPECT_TRUE(open.ends_with(")")) << open;
  client->close_stdin();
  EXPECT_EQ(client->read_line(), "close 1000 (clean)");
  EXPECT_EQ(exit_status(client->wait_exit()), 0);
}

TEST_F(ConnectTest, NoDeflateOffersNoExtension) {
  Server server;
  auto client = start_connect(server.url(), {"--no-deflate"});
  EXPECT_EQ(client->read_line(), "open (protocol: none, extensions: none)");
  client->close_stdin();
  EXPECT_EQ(client->read_line(), "close 1000 (clean)");
  EXPECT_EQ(exit_status(client->wait_exit()), 0);
}

TEST_F(ConnectTest, ServeWithNoDeflateAgreesToNoExtension) {
  Server server({"--no-deflate"});
  auto client = start_connect(server.url());
  EXPECT_EQ(client->read_line(), "open (protocol: none, extensions: none)");
}

TEST_F(ConnectTest, TypedLinesComeBackAsReceivedText) {
  Server server;
  auto client = start_connect(server.url("/chat?room=1"));
  ASSERT_TRUE(client->read_line().starts_with("open "));
  client->write("hello\n");
  EXPECT_EQ(client->read_line(), "< hello");
  client->write("second line, h\xC3\xA9llo\r\nthird\n");
  EXPECT_EQ(client->read_line(), "< second line, h\xC3\xA9llo");
  EXPECT_EQ(client->read_line(), "< third");
  client->write("\n");
  EXPECT_EQ(client->read_line(), "< ");
  client->close_stdin();
  EXPECT_EQ(client->read_line(), "close 1000 (clean)");
  EXPECT_TRUE(client->reads_eof());
  EXPECT_EQ(exit_status(client->wait_exit()), 0);
}

// Piped input: --wait keeps the socket open after end of input so that the
// answers to the last lines arrive (a message received after our close frame
// is dropped, as in a browser). A last line without its newline is sent too.
TEST_F(ConnectTest, WaitLetsTheLastAnswersArriveAfterEndOfInput) {
  Server server;
  auto client = start_connect(server.url(), {"--wait", "3"});
  ASSERT_TRUE(client->read_line().starts_with("open "));
  client->write("one\nlast");
  client->close_stdin();
  EXPECT_EQ(client->read_line(), "< one");
  EXPECT_EQ(client->read_line(), "< last");
  EXPECT_EQ(client->read_line(), "close 1000 (clean)");
  EXPECT_EQ(exit_status(client->wait_exit()), 0);
}

TEST_F(ConnectTest, EchoesALargeLineWhole) {
  Server server;
  auto client = start_connect(server.url());
  ASSERT_TRUE(client->read_line().starts_with("open "));
  const std::string line(200'000, 'x');
  client->write(line + '\n');
  EXPECT_EQ(client->read_line(), "< " + line);
  client->close_stdin();
  EXPECT_EQ(client->read_line(), "close 1000 (clean)");
  EXPECT_EQ(exit_status(client->wait_exit()), 0);
}

TEST_F(ConnectTest, BinaryModeSendsBinaryAndPrintsHex) {
  Server server;
  auto client = start_connect(server.url(), {"--binary"});
  ASSERT_TRUE(client->read_line().starts_with("open "));
  client->write(std::string("Hi\x01\xFF", 4) + '\n');
  EXPECT_EQ(client->read_line(), "< [binary 4 bytes] 486901ff");
  client->close_stdin();
  EXPECT_EQ(client->read_line(), "close 1000 (clean)");
  EXPECT_EQ(exit_status(client->wait_exit()), 0);
}

TEST_F(ConnectTest, ShowsTheAgreedSubprotocol) {
  Server server({"--protocol", "chat"});
  auto client = start_connect(server.url(), {"--protocol", "mqtt", "--protocol", "chat", "--header",
                                             "X-Test: 1", "--origin", "http://example.com"});
  const std::string open = client->read_line();
  EXPECT_TRUE(open.starts_with("open (protocol: chat, extensions: ")) << open;
}

TEST_F(ConnectTest, ServerGoingAwayEndsTheClientWhileStdinIsOpen) {
  Server server;
  auto client = start_connect(server.url());
  ASSERT_TRUE(client->read_line().starts_with("open "));
  server.process->signal(SIGTERM);  // serve closes its WebSockets with 1001
  EXPECT_TRUE(client->read_line().starts_with("close 1001"));
  EXPECT_EQ(exit_status(client->wait_exit()), 0);
}

TEST_F(ConnectTest, RefusedConnectionPrintsAnErrorAndExitsWithOne) {
  const RefusedPort refused;
  const std::string url = "ws://127.0.0.1:" + std::to_string(refused.port()) + "/";

  auto client = start_connect(url);
  const std::string error = client->read_line();
  EXPECT_TRUE(error.starts_with("error: ")) << error;
  EXPECT_GT(error.size(), std::string("error: ").size());
  EXPECT_EQ(client->read_line(), "close 1006 (not clean)");
  EXPECT_EQ(exit_status(client->wait_exit()), 1);
}

TEST_F(ConnectTest, MalformedUrlExitsWithOne) {
  auto client = start_connect("http://127.0.0.1:1/");
  EXPECT_TRUE(client->reads_eof());
  EXPECT_EQ(exit_status(client->wait_exit()), 1);
}

}  // namespace
