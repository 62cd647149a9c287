// permessage-deflate (RFC 7692) against a real peer, Python's `websockets`
// 10.4, which compresses by default on both sides:
//  - faye's client (ClientOptions.extensions) against
//    tests/interop/python_echo_server.py --deflate;
//  - tests/interop/python_deflate_client.py against faye::http::Server +
//    WebSocket::accept with WebSocketOptions.extensions.
// Both peers run as children of the test, on ports from the OS, on loopback;
// every wait is bounded and the children are ended by PID.
#include <sys/wait.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "faye/driver/permessage_deflate.hpp"
#include "faye/http/server.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/websocket.hpp"
#include "integration/pipe_process.hpp"
#include "integration/python_peer.hpp"

namespace faye::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto wait_limit = std::chrono::milliseconds(30'000);

std::filesystem::path interop_script(const char* name) {
  const std::filesystem::path script = source_dir() / "tests/interop" / name;
  if (!std::filesystem::exists(script)) throw std::runtime_error("missing " + script.string());
  return script;
}

// One message to echo: its bytes and whether it is text.
struct Sample {
  bool text;
  std::string data;
  std::string name;
};

// Sizes 0, 100, 64 KiB and 1 MiB; each highly compressible and random, as
// text and as binary (random text: ASCII letters, so valid UTF-8).
std::vector<Sample> samples() {
  std::mt19937 random(7692);
  std::vector<Sample> out;
  for (std::size_t size : {std::size_t{0}, std::size_t{100}, std::size_t{64 * 1024},
                           std::size_t{1024 * 1024}}) {
    std::string repeated(size, ' '), text_noise(size, ' '), noise(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
      repeated[i] = static_cast<char>('a' + i % 10);
      text_noise[i] = static_cast<char>('!' + random() % 94);
      noise[i] = static_cast<char>(random() & 0xFF);
    }
    const std::string n = std::to_string(size);
    out.push_back({true, repeated, "compressible text of " + n});
    out.push_back({true, text_noise, "random text of " + n});
    out.push_back({false, repeated, "compressible binary of " + n});
    out.push_back({false, noise, "random binary of " + n});
  }
  out.push_back({true, "h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80", "multi-byte UTF-8"});
  return out;
}

std::shared_ptr<driver::PermessageDeflate> deflate(driver::DeflateOptions options = {}) {
  return std::make_shared<driver::PermessageDeflate>(options);
}

// ---- (a) faye's client against Python's server ------------------------------

// tests/interop/python_echo_server.py --deflate as a child: "listening on PORT",
// then per connection "extensions: VALUE" and "closed CODE REASON".
class PythonDeflateServer {
 public:
  PythonDeflateServer()
      : process_({python_interpreter, interop_script("python_echo_server.py").string(),
                  "--port", "0", "--deflate"}) {
    const std::string line = process_.read_line();
    if (!line.starts_with("listening on ")) {
      throw std::runtime_error("python_echo_server.py --deflate said '" + line + "'");
    }
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(13)));
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  std::string read_line(std::chrono::milliseconds timeout = wait_limit) {
    return process_.read_line(timeout);
  }

 private:
  ChildProcess process_;
  std::uint16_t port_ = 0;
};

class DeflateInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!python_websockets_available()) {
      GTEST_SKIP() << "/usr/bin/python3 with the websockets module is not available";
    }
  }

  struct Events {
    bool opened = false;
    std::optional<CloseEvent> closed;
    std::vector<std::string> errors;
    std::vector<Sample> messages;
  };

  std::shared_ptr<WebSocket> connect(const std::string& url, ClientOptions options) {
    auto socket = WebSocket::Client::connect(loop_, url, std::move(options));
    socket->onopen = [this](const OpenEvent&) { events_.opened = true; };
    socket->onmessage = [this](const MessageEvent& event) {
      events_.messages.push_back({event.data.is_text(), event.data.to_string(), ""});
    };
    socket->onerror = [this](const ErrorEvent& event) { events_.errors.push_back(event.message); };
    socket->onclose = [this](const CloseEvent& event) { events_.closed = event; };
    socket_ = socket;
    return socket;
  }
  bool opens() {
    loop_.run_until([&] { return events_.opened || events_.closed.has_value(); }, wait_limit);
    return events_.opened && !events_.closed;
  }
  bool receives(std::size_t count) {
    loop_.run_until(
        [&] { return events_.messages.size() >= count || events_.closed.has_value(); },
        wait_limit);
    return events_.messages.size() >= count;
  }
  std::string describe() const {
    std::string out = "opened " + std::to_string(events_.opened) + ", " +
                      std::to_string(events_.messages.size()) + " messages";
    for (const auto& error : events_.errors) out += "; error: " + error;
    if (events_.closed) {
      out += "; close " + std::to_string(events_.closed->code) + " '" + events_.closed->reason + "'";
    }
    return out;
  }

  // Sends every sample, checks every echo, then asks the server how many of
  // our frames were compressed and closes with 1000.
  void echo_all(WebSocket& socket, PythonDeflateServer& python) {
    const std::vector<Sample> sent = samples();
    for (const Sample& sample : sent) {
      EXPECT_TRUE(sample.text ? socket.send(std::string_view(sample.data))
                              : socket.send(as_bytes(sample.data)))
          << sample.name;
    }
    ASSERT_TRUE(receives(sent.size())) << describe();
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const Sample& echo = events_.messages[i];
      EXPECT_EQ(echo.text, sent[i].text) << sent[i].name;
      EXPECT_EQ(echo.data.size(), sent[i].data.size()) << sent[i].name;
      EXPECT_TRUE(echo.data == sent[i].data) << sent[i].name << " came back altered";
    }
    // Our client compresses every message (threshold 0); an empty one may
    // go out uncompressed.
    std::size_t non_empty = 0;
    for (const Sample& sample : sent) non_empty += sample.data.empty() ? 0 : 1;
    EXPECT_TRUE(socket.send("compressed?"));
    ASSERT_TRUE(receives(sent.size() + 1)) << describe();
    EXPECT_GE(std::stoul(events_.messages.back().data), non_empty)
        << "frames with RSV1 the Python server saw from our client";

    socket.close(1000, "bye");
    loop_.run_until([&] { return events_.closed.has_value(); }, wait_limit);
    ASSERT_TRUE(events_.closed) << describe();
    EXPECT_EQ(events_.closed->code, 1000);
    EXPECT_TRUE(events_.closed->was_clean);
    EXPECT_EQ(python.read_line(), "closed 1000 bye");
  }

  void TearDown() override {
    if (socket_ && !events_.closed) {
      socket_->close();
      loop_.run_until([&] { return events_.closed.has_value(); }, std::chrono::milliseconds(6000));
    }
  }

  net::EventLoop loop_;
  Events events_;
  std::shared_ptr<WebSocket> socket_;
};

TEST_F(DeflateInterop, ClientAgreesWithPythonServerAndEchoes) {
  PythonDeflateServer python;
  auto socket = connect(python.url(), {.extensions = {deflate()}});
  ASSERT_TRUE(opens()) << describe();
  EXPECT_THAT(socket->extensions(), StartsWith("permessage-deflate"));
  const std::string agreed = python.read_line();
  EXPECT_EQ(agreed, "extensions: " + socket->extensions());
  echo_all(*socket, python);
}

TEST_F(DeflateInterop, ClientWithSmallWindowsAndNoContextTakeoverEchoes) {
  PythonDeflateServer python;
  auto socket = connect(python.url(), {.extensions = {deflate({.mem_level = 1,
                                                               .max_window_bits = 9,
                                                               .no_context_takeover = true,
                                                               .request_max_window_bits = 10,
                                                               .request_no_context_takeover =
                                                                   true})}});
  ASSERT_TRUE(opens()) << describe();
  const std::string agreed = socket->extensions();
  EXPECT_THAT(agreed, StartsWith("permessage-deflate"));
  EXPECT_THAT(agreed, HasSubstr("server_no_context_takeover"));
  EXPECT_THAT(agreed, HasSubstr("server_max_window_bits=10"));
  EXPECT_EQ(python.read_line(), "extensions: " + agreed);
  echo_all(*socket, python);
}

// ---- (b) Python's client against faye's server --------------------------------

// faye::http::Server (threads of its own) whose WebSockets echo every message.
class DeflateEchoServer {
 public:
  explicit DeflateEchoServer(WebSocket::Options socket_options)
      : server_({.host = "127.0.0.1", .port = 0}, [this, socket_options](http::Request& request) {
          if (!WebSocket::is_websocket(request)) {
            return http::Response{404, {{"Content-Type", "text/plain"}}, "no"};
          }
          auto socket = WebSocket::accept(request, socket_options);
          WebSocket* raw = socket.get();
          socket->onmessage = [raw](const MessageEvent& event) { raw->send(event.data); };
          socket->onclose = [this](const CloseEvent& event) {
            std::lock_guard lock(mutex_);
            closes_.push_back(event);
          };
          return http::Response::hijacked();
        }) {
    server_.start();
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server_.port()) + "/"; }
  std::vector<CloseEvent> closes() const {
    std::lock_guard lock(mutex_);
    return closes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<CloseEvent> closes_;
  http::Server server_;  // last: stopped first
};

// Runs python_deflate_client.py against `server`; returns its "extensions:"
// value after checking its "compressed:" line, "ok" and exit status 0.
std::string run_python_client(const DeflateEchoServer& server) {
  PipeProcess client({python_interpreter, interop_script("python_deflate_client.py").string(),
                      "--url", server.url(), "--timeout", "60"});
  std::vector<std::string> lines;
  for (;;) {
    std::string line;
    try {
      line = client.read_line(std::chrono::milliseconds(70'000));
    } catch (const std::exception& error) {
      ADD_FAILURE() << "python_deflate_client.py: " << error.what();
      break;
    }
    lines.push_back(line);
    if (line == "ok" || line.starts_with("FAIL")) break;
  }
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  const std::optional<int> status = client.wait_exit(std::chrono::milliseconds(10'000));
  EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "python_deflate_client.py did not exit with 0; it printed:\n"
      << all;
  EXPECT_FALSE(lines.empty());
  if (lines.empty()) return {};
  EXPECT_EQ(lines.back(), "ok") << all;
  EXPECT_EQ(lines.size(), 3u) << all;
  EXPECT_THAT(lines[0], StartsWith("extensions: ")) << all;
  if (lines.size() >= 2) {
    // "compressed: N of M": every data frame of ours carried RSV1 (threshold
    // 0 compresses everything; an empty message may go out plain).
    unsigned compressed = 0, frames = 0;
    EXPECT_EQ(std::sscanf(lines[1].c_str(), "compressed: %u of %u", &compressed, &frames), 2)
        << all;
    EXPECT_GT(frames, 0u) << all;
    EXPECT_GE(compressed + 2, frames) << "our server compressed too few frames; " << all;
  }
  return lines[0].substr(std::min<std::size_t>(lines[0].size(), 12));
}

TEST_F(DeflateInterop, PythonClientAgreesWithServerAndEchoes) {
  DeflateEchoServer server({.extensions = {deflate()}});
  const std::string agreed = run_python_client(server);
  EXPECT_THAT(agreed, StartsWith("permessage-deflate"));
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (server.closes().empty() && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(server.closes().size(), 1u);
  EXPECT_EQ(server.closes()[0].code, 1000);
  EXPECT_EQ(server.closes()[0].reason, "done");
}

TEST_F(DeflateInterop, PythonClientWithSmallServerWindowAndNoContextTakeover) {
  DeflateEchoServer server({.extensions = {deflate({.mem_level = 1,
                                                    .max_window_bits = 9,
                                                    .no_context_takeover = true,
                                                    .request_max_window_bits = 10})}});
  const std::string agreed = run_python_client(server);
  EXPECT_THAT(agreed, StartsWith("permessage-deflate"));
  EXPECT_THAT(agreed, HasSubstr("server_no_context_takeover"));
  EXPECT_THAT(agreed, HasSubstr("server_max_window_bits=9"));
  // Python offers client_max_window_bits, so the server may limit it.
  EXPECT_THAT(agreed, HasSubstr("client_max_window_bits=10"));
}

}  // namespace
}  // namespace faye::test
