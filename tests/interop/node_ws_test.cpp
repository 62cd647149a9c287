// Interoperability with Node's `ws` package (tests/interop/package.json,
// installed by scripts/deps), both directions, with and without
// permessage-deflate on either side:
//  - faye::WebSocket::Client against tests/interop/node_ws_echo_server.js;
//  - tests/interop/node_ws_client.js against faye::http::Server +
//    WebSocket::accept running in the test.
// node is found as `command -v node` would (PATH, else /usr/bin/node). A
// missing node or node_modules/ws FAILS the tests (run scripts/deps): they
// are not optional. Every peer listens or connects on 127.0.0.1 with a port
// from the OS, every wait is bounded, and every child is ended by its PID.
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "faye/driver/permessage_deflate.hpp"
#include "faye/http/server.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/websocket.hpp"
#include "integration/pipe_process.hpp"
#include "integration/python_peer.hpp"  // source_dir()
#include "integration/ws_test_client.hpp"
#include "interop/socket_events.hpp"

namespace faye::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto node_wait_limit = std::chrono::milliseconds(20'000);

// ---- Finding node and ws --------------------------------------------------------------

// The node on the PATH, as `command -v node` finds it, else /usr/bin/node
// (which may not exist).
std::filesystem::path node_binary() {
  if (const char* path = std::getenv("PATH")) {
    std::stringstream directories(path);
    std::string directory;
    while (std::getline(directories, directory, ':')) {
      if (directory.empty()) continue;
      const std::filesystem::path candidate = std::filesystem::path(directory) / "node";
      std::error_code error;
      if (std::filesystem::is_regular_file(candidate, error) &&
          ::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
  }
  return "/usr/bin/node";
}

std::filesystem::path interop_dir() {
  return source_dir() / "tests/interop";
}

// Success when node and the `ws` package are installed; otherwise a failure
// saying how to install them.
::testing::AssertionResult node_ws_installed() {
  const std::filesystem::path node = node_binary();
  if (::access(node.c_str(), X_OK) != 0) {
    return ::testing::AssertionFailure()
           << "node is not installed (not on the PATH, no /usr/bin/node): run scripts/deps";
  }
  const std::filesystem::path ws = interop_dir() / "node_modules/ws/package.json";
  if (!std::filesystem::exists(ws)) {
    return ::testing::AssertionFailure()
           << ws.string() << " is missing: run scripts/deps (npm ci in tests/interop)";
  }
  return ::testing::AssertionSuccess();
}

// ---- Messages -------------------------------------------------------------------------

const std::vector<std::size_t> message_sizes{0, 125, 126, 65536, 1 << 20};

std::string compressible_text(std::size_t size) {
  const std::string_view sentence = "The quick brown fox jumps over the lazy dog. ";
  std::string text;
  text.reserve(size);
  while (text.size() < size) text.append(sentence.substr(0, size - text.size()));
  return text;
}

// Valid UTF-8 of exactly `size` bytes mixing 1- to 4-byte characters.
std::string random_text(std::size_t size, std::mt19937& random) {
  static const std::vector<std::string> alphabet{"a",
                                                 "Z",
                                                 "7",
                                                 " ",
                                                 "\xC3\xA9",
                                                 "\xC3\x9F",
                                                 "\xE2\x9C\x93",
                                                 "\xE2\x82\xAC",
                                                 "\xF0\x9F\x98\x80",
                                                 "\xF0\x90\x8D\x88"};
  std::string text;
  text.reserve(size);
  while (text.size() < size) {
    const std::string& piece = alphabet[random() % alphabet.size()];
    text.append(text.size() + piece.size() <= size ? piece : std::string(1, 'x'));
  }
  return text;
}

std::string compressible_binary(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<char>(i % 64 < 32 ? 0 : i % 7);
  }
  return bytes;
}

std::string random_binary(std::size_t size, std::mt19937& random) {
  std::string bytes(size, '\0');
  for (auto& byte : bytes) byte = static_cast<char>(random());
  return bytes;
}

struct TestMessage {
  std::string name;
  bool text;
  std::string data;
};

std::vector<TestMessage> test_messages() {
  std::mt19937 random(20240517);  // fixed: failures are reproducible
  std::vector<TestMessage> out;
  for (std::size_t size : message_sizes) {
    const std::string of = " of " + std::to_string(size);
    out.push_back({"compressible text" + of, true, compressible_text(size)});
    out.push_back({"random text" + of, true, random_text(size, random)});
    out.push_back({"compressible binary" + of, false, compressible_binary(size)});
    out.push_back({"random binary" + of, false, random_binary(size, random)});
  }
  return out;
}

// ---- Node processes -------------------------------------------------------------------

// node_ws_echo_server.js on 127.0.0.1, a port from the OS.
class NodeEchoServer {
 public:
  explicit NodeEchoServer(bool deflate) {
    const std::filesystem::path script = interop_dir() / "node_ws_echo_server.js";
    if (!std::filesystem::exists(script)) throw std::runtime_error("missing " + script.string());
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{node_binary().string(), script.string(), "--port", "0",
                                 "--deflate", deflate ? "on" : "off"});
    const std::string line = process_->read_line();
    const std::string prefix = "listening on ";
    if (!line.starts_with(prefix)) {
      throw std::runtime_error("node_ws_echo_server.js said '" + line + "'");
    }
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
  }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  // The next line it printed: "closed CODE REASON" when a connection ended.
  std::string read_line() { return process_->read_line(io_timeout); }

 private:
  std::unique_ptr<ChildProcess> process_;  // killed by PID when destroyed
  std::uint16_t port_ = 0;
};

// ---- Parameters: which sides offer / accept permessage-deflate -------------------------

struct Deflate {
  bool server;
  bool client;
  bool negotiated() const { return server && client; }
};

void PrintTo(const Deflate& deflate, std::ostream* out) {
  *out << "server deflate " << (deflate.server ? "on" : "off") << ", client deflate "
       << (deflate.client ? "on" : "off");
}

std::string name_of(const ::testing::TestParamInfo<Deflate>& info) {
  return std::string("Server") + (info.param.server ? "Deflate" : "Plain") + "Client" +
         (info.param.client ? "Deflate" : "Plain");
}

const auto all_deflate_combinations = ::testing::Values(
    Deflate{true, true}, Deflate{true, false}, Deflate{false, true}, Deflate{false, false});

driver::ExtensionList extensions_if(bool deflate) {
  if (!deflate) return {};
  return {std::make_shared<driver::PermessageDeflate>()};
}

// ---- faye's client against node_ws_echo_server.js ---------------------------------------


class ClientAgainstNodeWs : public ::testing::TestWithParam<Deflate> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(node_ws_installed());
    server_ = std::make_unique<NodeEchoServer>(GetParam().server);
    client_ = std::make_unique<RecordedClient>(
        server_->url(), WebSocket::Client::Options{.extensions = extensions_if(GetParam().client)},
        node_wait_limit);
    ASSERT_TRUE(client_->opens()) << client_->events.describe();
  }

  void TearDown() override {
    if (!client_) return;
    client_->close_and_settle();
    EXPECT_TRUE(client_->events.closed) << "the client never closed; " << client_->events.describe();
    EXPECT_EQ(client_->events.calls_after_close, 0) << client_->events.describe();
  }

  bool receives(std::size_t count) { return client_->receives(count); }
  bool closes() { return client_->closes(); }

  std::unique_ptr<NodeEchoServer> server_;
  std::unique_ptr<RecordedClient> client_;
};

TEST_P(ClientAgainstNodeWs, EchoesTextAndBinaryOfManySizes) {
  const std::vector<TestMessage> sent = test_messages();
  for (const auto& message : sent) {
    EXPECT_TRUE(message.text ? client_->socket().send(std::string_view(message.data))
                             : client_->socket().send(as_bytes(message.data)))
        << message.name;
  }
  ASSERT_TRUE(receives(sent.size())) << client_->events.describe();
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto& [text, data] = client_->events.messages[i];
    EXPECT_EQ(text, sent[i].text) << sent[i].name << " came back as the other type";
    EXPECT_EQ(data.size(), sent[i].data.size()) << sent[i].name;
    EXPECT_TRUE(data == sent[i].data) << sent[i].name << " came back altered";
  }
  EXPECT_TRUE(client_->events.errors.empty()) << client_->events.describe();
}

TEST_P(ClientAgainstNodeWs, NegotiatesPermessageDeflateExactlyWhenBothEnableIt) {
  if (GetParam().negotiated()) {
    EXPECT_THAT(client_->socket().extensions(), StartsWith("permessage-deflate"));
  } else {
    EXPECT_EQ(client_->socket().extensions(), "");
  }
  EXPECT_TRUE(client_->socket().send("extensions?"));
  ASSERT_TRUE(receives(1)) << client_->events.describe();
  const std::string& report = client_->events.messages[0].data;
  EXPECT_THAT(report, HasSubstr(GetParam().negotiated() ? R"("extensions":"permessage-deflate")"
                                                        : R"("extensions":"")"))
      << report;
  if (GetParam().client) {
    EXPECT_THAT(report, HasSubstr(R"("offered":"permessage-deflate)")) << report;
  } else {
    EXPECT_THAT(report, HasSubstr(R"("offered":"")")) << report;
  }
  // What node answered is what the client reports.
  EXPECT_THAT(report, HasSubstr(R"("accepted":")" + client_->socket().extensions() + "\"")) << report;
}

TEST_P(ClientAgainstNodeWs, PingCallsOnPong) {
  int pongs = 0;
  EXPECT_TRUE(client_->socket().ping("ping from faye", [&] { ++pongs; }));
  EXPECT_TRUE(client_->loop().run_until([&] { return pongs == 1 || client_->events.closed; }, node_wait_limit));
  EXPECT_EQ(pongs, 1) << client_->events.describe();
}

TEST_P(ClientAgainstNodeWs, ClientClosesWithCodeAndReason) {
  client_->socket().close(4001, "bye");
  ASSERT_TRUE(closes()) << client_->events.describe();
  EXPECT_TRUE(client_->events.closed_cleanly(4001, "bye"));
  EXPECT_EQ(server_->read_line(), "closed 4001 bye");
}

TEST_P(ClientAgainstNodeWs, ServerClosesWithCodeAndReason) {
  EXPECT_TRUE(client_->socket().send("close 4002 node says bye"));
  ASSERT_TRUE(closes()) << client_->events.describe();
  EXPECT_TRUE(client_->events.closed_cleanly(4002, "node says bye"));
  EXPECT_EQ(server_->read_line(), "closed 4002 node says bye");
}

INSTANTIATE_TEST_SUITE_P(NodeWs, ClientAgainstNodeWs, all_deflate_combinations, name_of);

// ---- node_ws_client.js against faye::http::Server + WebSocket::accept ------------------

// An echo server on 127.0.0.1 (port from the OS) on threads of its own; it
// records what each socket negotiated and how it closed.
class EchoServer {
 public:
  explicit EchoServer(bool deflate)
      : server_({.host = "127.0.0.1", .port = 0}, [this, deflate](http::Request& request) {
          if (!WebSocket::is_websocket(request)) {
            return http::Response{404, {{"Content-Type", "text/plain"}}, "not a WebSocket"};
          }
          auto socket = WebSocket::accept(request, {.extensions = extensions_if(deflate)});
          WebSocket* raw = socket.get();
          socket->onopen = [this, raw](const OpenEvent&) {
            std::lock_guard lock(mutex_);
            extensions_.push_back(raw->extensions());
          };
          socket->onmessage = [raw](const MessageEvent& event) { raw->send(event.data); };
          socket->onerror = [this](const ErrorEvent& event) {
            std::lock_guard lock(mutex_);
            errors_.push_back(event.message);
          };
          socket->onclose = [this](const CloseEvent& event) {
            std::lock_guard lock(mutex_);
            closes_.push_back(event);
          };
          return http::Response::hijacked();
        }) {
    server_.start();
  }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server_.port()) + "/echo"; }
  std::vector<std::string> extensions() const {
    std::lock_guard lock(mutex_);
    return extensions_;
  }
  std::vector<std::string> errors() const {
    std::lock_guard lock(mutex_);
    return errors_;
  }
  std::vector<CloseEvent> wait_for_close(std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (!closes_.empty() || Clock::now() >= deadline) return closes_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> extensions_;
  std::vector<std::string> errors_;
  std::vector<CloseEvent> closes_;
  http::Server server_;  // last: stopped (and its sockets closed) first
};

class NodeWsClientAgainstServer : public ::testing::TestWithParam<Deflate> {
 protected:
  void SetUp() override { ASSERT_TRUE(node_ws_installed()); }
};

TEST_P(NodeWsClientAgainstServer, EchoesPingsAndCloses) {
  EchoServer server(GetParam().server);
  const std::filesystem::path script = interop_dir() / "node_ws_client.js";
  ASSERT_TRUE(std::filesystem::exists(script)) << script;
  PipeProcess client({node_binary().string(), script.string(), server.url(), "--deflate",
                      GetParam().client ? "on" : "off"});
  // The script gives up after 20 s by itself; its stderr goes to the test log.
  std::string output;
  while (!client.reads_eof(std::chrono::milliseconds(30'000))) {
    output += client.read_line(std::chrono::milliseconds(30'000)) + '\n';
  }
  const std::optional<int> status = client.wait_exit(std::chrono::milliseconds(10'000));
  ASSERT_TRUE(status.has_value()) << "node_ws_client.js did not exit; it said:\n" << output;
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "wait status " << *status << "; node_ws_client.js said:\n" << output;
  EXPECT_THAT(output, ::testing::EndsWith("ok\n")) << output;
  if (GetParam().negotiated()) {
    EXPECT_THAT(output, HasSubstr("extensions: permessage-deflate")) << output;
    EXPECT_THAT(output, HasSubstr("ws.extensions: permessage-deflate\n")) << output;
  } else {
    EXPECT_THAT(output, HasSubstr("extensions: \n")) << output;
    EXPECT_THAT(output, HasSubstr("ws.extensions: \n")) << output;
  }

  const std::vector<CloseEvent> closes = server.wait_for_close(std::chrono::milliseconds(10'000));
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].code, 4000);
  EXPECT_EQ(closes[0].reason, "bye");
  EXPECT_TRUE(closes[0].was_clean);
  const std::vector<std::string> extensions = server.extensions();
  ASSERT_EQ(extensions.size(), 1u);
  if (GetParam().negotiated()) {
    EXPECT_THAT(extensions[0], StartsWith("permessage-deflate"));
    // The header node saw is the one the server reports.
    EXPECT_THAT(output, HasSubstr("extensions: " + extensions[0] + "\n")) << output;
  } else {
    EXPECT_EQ(extensions[0], "");
  }
  EXPECT_TRUE(server.errors().empty()) << ::testing::PrintToString(server.errors());
}

INSTANTIATE_TEST_SUITE_P(NodeWs, NodeWsClientAgainstServer, all_deflate_combinations, name_of);

}  // namespace
}  // namespace faye::test
