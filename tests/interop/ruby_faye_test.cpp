// Interoperability with the seed system, Ruby's Faye::WebSocket 0.11 (with
// websocket-driver) under Thin, in every direction it speaks:
//  - tests/interop/ruby_faye_client.rb (Faye::WebSocket::Client) against
//    faye::http::Server + WebSocket::accept running in the test;
//  - faye::WebSocket::Client against tests/interop/ruby_faye_echo_server.rb;
//  - hand-written draft-75 and draft-76 clients against the same Ruby server,
//    which shows that our reading of the hixie drafts (handshake, challenge,
//    framing, closing) is the seed's.
// Debian has no ruby-permessage-deflate, so Ruby never offers or accepts
// permessage-deflate: the tests check that enabling it on our side falls back
// to plain frames. Ruby is /usr/bin/ruby; a missing ruby, faye-websocket or
// thin FAILS the tests (run scripts/deps). Peers use 127.0.0.1 and ports from
// the OS, every wait is bounded, every child is ended by its PID.
#include <sys/wait.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "faye/driver/draft76.hpp"
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

using ::testing::ElementsAreArray;

constexpr auto ruby_wait_limit = std::chrono::milliseconds(30'000);
constexpr const char* ruby_interpreter = "/usr/bin/ruby";

std::string interop_script(std::string_view name) {
  return (source_dir() / "tests/interop" / name).string();
}

// Success when /usr/bin/ruby can load faye-websocket, EventMachine and Thin;
// otherwise a failure saying how to install them.
::testing::AssertionResult ruby_faye_installed() {
  static const std::optional<std::string> problem = []() -> std::optional<std::string> {
    if (!std::filesystem::exists(ruby_interpreter)) {
      return std::string(ruby_interpreter) + " is missing: run scripts/deps (Debian ruby)";
    }
    try {
      ChildProcess probe({ruby_interpreter, "-e",
                          "require 'faye/websocket'; require 'eventmachine'; require 'thin'; "
                          "puts 'ok'"});
      if (probe.read_line() == "ok") return std::nullopt;
    } catch (const std::exception&) {
    }
    return std::string(ruby_interpreter) +
           " cannot load faye/websocket, eventmachine and thin: run scripts/deps "
           "(Debian ruby-faye-websocket, thin)";
  }();
  if (problem) return ::testing::AssertionFailure() << *problem;
  return ::testing::AssertionSuccess();
}

// ---- The scripted messages, the same as ruby_faye_client.rb's MESSAGES ----------------

using Message = ReceivedMessage;

const std::string multi_byte_text =
    "h\xC3\xA9llo w\xC3\xB6rld \xE2\x9C\x93 \xE2\x82\xAC \xF0\x9F\x98\x80";

std::vector<Message> scripted_messages() {
  std::string all_bytes(256, '\0');
  for (int i = 0; i < 256; ++i) all_bytes[i] = static_cast<char>(i);
  std::string large_binary(std::size_t{1} << 20, '\0');
  for (std::size_t i = 0; i < large_binary.size(); ++i) {
    large_binary[i] = static_cast<char>((i * 7 + (i >> 10)) % 251);
  }
  std::string large_text;
  for (int i = 0; i < 100'000; ++i) large_text += "a\xC3\xA9\xE2\x9C\x93\xF0\x9F\x98\x80";
  return {{true, "Hello, world!"},
          {true, multi_byte_text},
          {false, all_bytes},
          {false, large_binary},
          {true, large_text}};
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : bytes) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0x0F]);
  }
  return out;
}

// The line ruby_faye_client.rb prints for an echo identical to what it sent.
std::string expected_echo_line(std::size_t index, const Message& message) {
  std::string line = "echo " + std::to_string(index) + (message.text ? " text " : " binary ") +
                     std::to_string(message.data.size()) + " same";
  if (message.data.size() <= 1024) line += " " + hex(message.data);
  return line;
}

driver::ExtensionList permessage_deflate() {
  return {std::make_shared<driver::PermessageDeflate>()};
}

// ---- ruby_faye_client.rb against faye::http::Server + WebSocket::accept ----------------

// An in-process echo server on 127.0.0.1 with permessage-deflate enabled (so
// that a peer which does not offer it shows the fallback). It records every
// event; the text "close CODE REASON" makes it close with that code and reason.
class RecordingEchoServer {
 public:
  RecordingEchoServer()
      : server_({.host = "127.0.0.1", .port = 0}, [this](http::Request& request) {
          if (!WebSocket::is_websocket(request)) {
            return http::Response{404, {{"Content-Type", "text/plain"}}, "not a WebSocket"};
          }
          auto socket = WebSocket::accept(request, {.extensions = permessage_deflate()});
          WebSocket* raw = socket.get();
          socket->onopen = [this, raw](const OpenEvent&) {
            std::lock_guard lock(mutex_);
            opens_.push_back(raw->version() + " extensions '" + raw->extensions() + "'");
          };
          socket->onmessage = [this, raw](const MessageEvent& event) {
            const Message message{event.data.is_text(), event.data.to_string()};
            {
              std::lock_guard lock(mutex_);
              messages_.push_back(message);
            }
            if (message.text && message.data.starts_with("close ")) {
              close_as_asked(*raw, message.data);
            } else {
              raw->send(event.data);
            }
          };
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

  // Waits (bounded) for a socket to close, then returns what was recorded.
  struct Record {
    std::vector<std::string> opens;
    std::vector<Message> messages;
    std::vector<std::string> errors;
    std::vector<CloseEvent> closes;
  };
  Record wait_for_close() const {
    const auto deadline = Clock::now() + ruby_wait_limit;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (!closes_.empty() || Clock::now() >= deadline) {
          return {opens_, messages_, errors_, closes_};
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

 private:
  // "close 4001 faye says bye" -> close(4001, "faye says bye").
  static void close_as_asked(WebSocket& socket, std::string_view command) {
    command.remove_prefix(std::string_view("close ").size());
    const std::size_t space = command.find(' ');
    const auto code = static_cast<std::uint16_t>(std::stoi(std::string(command.substr(0, space))));
    socket.close(code, space == std::string_view::npos ? "" : command.substr(space + 1));
  }

  mutable std::mutex mutex_;
  std::vector<std::string> opens_;
  std::vector<Message> messages_;
  std::vector<std::string> errors_;
  std::vector<CloseEvent> closes_;
  http::Server server_;  // last: stopped (and its sockets closed) first
};

// Runs ruby_faye_client.rb to its end; its output lines and exit status.
struct RubyClientRun {
  std::vector<std::string> lines;
  std::optional<int> status;
};

RubyClientRun run_ruby_client(const std::string& url, std::string_view closer) {
  PipeProcess client({ruby_interpreter, interop_script("ruby_faye_client.rb"), url, "--close",
                      std::string(closer)});
  client.close_stdin();
  RubyClientRun run;
  // The script gives up by itself after 20 s.
  while (!client.reads_eof(ruby_wait_limit)) run.lines.push_back(client.read_line(ruby_wait_limit));
  run.status = client.wait_exit(ruby_wait_limit);
  return run;
}

std::vector<std::string> expected_client_lines(std::string_view close_line) {
  std::vector<std::string> lines{"open"};
  const std::vector<Message> messages = scripted_messages();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    lines.push_back(expected_echo_line(i, messages[i]));
  }
  lines.push_back("pong ruby ping");
  lines.push_back(std::string(close_line));
  return lines;
}

class RubyFayeClientAgainstServer : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ruby_faye_installed()); }
};

TEST_F(RubyFayeClientAgainstServer, EchoesByteExactAndClientClosesWithCodeAndReason) {
  RecordingEchoServer server;
  const RubyClientRun run = run_ruby_client(server.url(), "client");
  EXPECT_THAT(run.lines, ElementsAreArray(expected_client_lines("close 4000 ruby says bye")));
  ASSERT_TRUE(run.status.has_value()) << "ruby_faye_client.rb did not exit";
  EXPECT_TRUE(WIFEXITED(*run.status) && WEXITSTATUS(*run.status) == 0);

  const auto record = server.wait_for_close();
  // Ruby offers no extension, so permessage-deflate on our side is not used.
  EXPECT_THAT(record.opens, ElementsAreArray({"hybi-13 extensions ''"}));
  EXPECT_THAT(record.messages, ElementsAreArray(scripted_messages()));
  ASSERT_EQ(record.closes.size(), 1u);
  EXPECT_EQ(record.closes[0].code, 4000);
  EXPECT_EQ(record.closes[0].reason, "ruby says bye");
  EXPECT_TRUE(record.closes[0].was_clean);
  EXPECT_THAT(record.errors, ::testing::IsEmpty());
}

TEST_F(RubyFayeClientAgainstServer, ServerClosesWithCodeAndReason) {
  RecordingEchoServer server;
  const RubyClientRun run = run_ruby_client(server.url(), "server");
  EXPECT_THAT(run.lines, ElementsAreArray(expected_client_lines("close 4001 faye says bye")));
  ASSERT_TRUE(run.status.has_value()) << "ruby_faye_client.rb did not exit";
  EXPECT_TRUE(WIFEXITED(*run.status) && WEXITSTATUS(*run.status) == 0);

  const auto record = server.wait_for_close();
  std::vector<Message> expected = scripted_messages();
  expected.push_back({true, "close 4001 faye says bye"});
  EXPECT_THAT(record.messages, ElementsAreArray(expected));
  ASSERT_EQ(record.closes.size(), 1u);
  EXPECT_EQ(record.closes[0].code, 4001);
  EXPECT_EQ(record.closes[0].reason, "faye says bye");
  EXPECT_TRUE(record.closes[0].was_clean);
  EXPECT_THAT(record.errors, ::testing::IsEmpty());
}

// ---- ruby_faye_echo_server.rb (Thin) ---------------------------------------------------

// The Ruby echo server on 127.0.0.1, a port from the OS. It exits when its
// stdin closes; the guard also ends it by PID.
class RubyEchoServer {
 public:
  RubyEchoServer()
      : process_(std::vector<std::string>{ruby_interpreter,
                                          interop_script("ruby_faye_echo_server.rb")}) {
    const std::string line = process_.read_line(ruby_wait_limit);
    const std::string prefix = "listening on ";
    if (!line.starts_with(prefix)) {
      throw std::runtime_error("ruby_faye_echo_server.rb said '" + line + "'");
    }
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(prefix.size())));
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  // The next event it printed: "open VERSION", "pong PAYLOAD", "close CODE REASON".
  std::string read_line() { return process_.read_line(ruby_wait_limit); }

 private:
  PipeProcess process_;
  std::uint16_t port_ = 0;
};


class RubyFayeServerAgainstClient : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ruby_faye_installed());
    server_ = std::make_unique<RubyEchoServer>();
    connect({});
  }

  void TearDown() override {
    if (!client_) return;
    client_->close_and_settle();
    EXPECT_TRUE(client_->events.closed) << "the client never closed; " << client_->events.describe();
    EXPECT_EQ(client_->events.calls_after_close, 0) << client_->events.describe();
  }

  void connect(ClientOptions options) {
    client_ = std::make_unique<RecordedClient>(server_->url(), std::move(options), ruby_wait_limit);
    ASSERT_TRUE(client_->opens()) << client_->events.describe();
    EXPECT_EQ(server_->read_line(), "open hybi-13");
  }

  bool receives(std::size_t count) { return client_->receives(count); }
  bool closes() { return client_->closes(); }

  std::unique_ptr<RubyEchoServer> server_;
  std::unique_ptr<RecordedClient> client_;
};

TEST_F(RubyFayeServerAgainstClient, EchoesTextMultiByteBinaryAndLargeMessagesByteExact) {
  const std::vector<Message> sent = scripted_messages();
  for (const Message& message : sent) {
    EXPECT_TRUE(message.text ? client_->socket().send(std::string_view(message.data))
                             : client_->socket().send(as_bytes(message.data)));
  }
  ASSERT_TRUE(receives(sent.size())) << client_->events.describe();
  EXPECT_THAT(client_->events.messages, ElementsAreArray(sent));
  EXPECT_TRUE(client_->events.errors.empty()) << client_->events.describe();
}

TEST_F(RubyFayeServerAgainstClient, PingsGetPongsBothWays) {
  int pongs = 0;
  EXPECT_TRUE(client_->socket().ping("ping from faye", [&] { ++pongs; }));
  EXPECT_TRUE(client_->loop().run_until([&] { return pongs == 1 || client_->events.closed; }, ruby_wait_limit));
  EXPECT_EQ(pongs, 1) << client_->events.describe();

  // Ruby pings us; our client answers by itself (so its loop must run while
  // we wait for Ruby to report the pong) and Ruby's callback fires.
  EXPECT_TRUE(client_->socket().send("ping from ruby"));
  std::string line;
  bool line_read = false;  // set on the loop's thread, which it wakes
  std::thread reader([&] {
    try {
      line = server_->read_line();
    } catch (const std::exception& error) {
      line = error.what();
    }
    client_->loop().post([&] { line_read = true; });
  });
  client_->loop().run_until([&] { return line_read || client_->events.closed; }, ruby_wait_limit);
  reader.join();
  EXPECT_EQ(line, "pong from ruby");
  EXPECT_TRUE(client_->events.messages.empty()) << "a command was echoed; " << client_->events.describe();
}

TEST_F(RubyFayeServerAgainstClient, ClientClosesWithCodeAndReason) {
  client_->socket().close(4001, "bye");
  ASSERT_TRUE(closes()) << client_->events.describe();
  EXPECT_TRUE(client_->events.closed_cleanly(4001, "bye"));
  EXPECT_EQ(server_->read_line(), "close 4001 bye");
}

TEST_F(RubyFayeServerAgainstClient, ServerClosesWithCodeAndReason) {
  EXPECT_TRUE(client_->socket().send("close 4002 ruby says bye"));
  ASSERT_TRUE(closes()) << client_->events.describe();
  EXPECT_TRUE(client_->events.closed_cleanly(4002, "ruby says bye"));
  EXPECT_EQ(server_->read_line(), "close 4002 ruby says bye");
}

TEST_F(RubyFayeServerAgainstClient, OfferingPermessageDeflateFallsBackToPlainFrames) {
  client_->socket().close();
  ASSERT_TRUE(closes()) << client_->events.describe();
  EXPECT_EQ(server_->read_line(), "close 1000");

  connect({.extensions = permessage_deflate()});
  EXPECT_EQ(client_->socket().extensions(), "");
  EXPECT_TRUE(client_->socket().send(std::string_view(multi_byte_text)));
  ASSERT_TRUE(receives(1)) << client_->events.describe();
  EXPECT_EQ(client_->events.messages[0], (Message{true, multi_byte_text}));
}

// ---- Hand-written hixie clients against ruby_faye_echo_server.rb -----------------------

const std::string hixie_origin = "http://example.com";

std::string draft75_request_head(std::uint16_t port) {
  return "GET /demo HTTP/1.1\r\n"
         "Upgrade: WebSocket\r\n"
         "Connection: Upgrade\r\n"
         "Host: 127.0.0.1:" +
         std::to_string(port) +
         "\r\n"
         "Origin: " +
         hixie_origin + "\r\n\r\n";
}

std::string draft76_request_head(std::uint16_t port, std::string_view key1, std::string_view key2) {
  return "GET /demo HTTP/1.1\r\n"
         "Host: 127.0.0.1:" +
         std::to_string(port) +
         "\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Key2: " +
         std::string(key2) +
         "\r\n"
         "Upgrade: WebSocket\r\n"
         "Sec-WebSocket-Key1: " +
         std::string(key1) +
         "\r\n"
         "Origin: " +
         hixie_origin + "\r\n\r\n";
}

// A hixie text frame from the server: 0x00, UTF-8, 0xFF (which UTF-8 never
// contains).
std::string read_hixie_text(TcpClient& client) {
  const std::string start = client.read_exact(1);
  if (start != std::string(1, '\x00')) {
    throw std::runtime_error("expected a text frame, got first byte " + hex(start));
  }
  std::string text = client.read_until("\xFF");
  text.pop_back();
  return text;
}

const std::vector<std::string> hixie_texts{"Hello, world!", multi_byte_text,
                                           std::string(65536, 'x') + multi_byte_text};

void expect_hixie_echoes(TcpClient& client) {
  for (const std::string& text : hixie_texts) client.send(hixie_text_frame(text));
  for (const std::string& text : hixie_texts) EXPECT_EQ(read_hixie_text(client), text);
}

class RubyFayeHixieServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ruby_faye_installed());
    server_ = std::make_unique<RubyEchoServer>();
  }

  // Sends the draft-76 handshake with key3 in the same write, as browsers
  // did, and checks the answer up to the end of the 16-byte challenge answer.
  void handshake_draft76(TcpClient& client, std::string_view key1, std::string_view key2,
                         std::string_view key3, std::string_view answer) {
    client.send(draft76_request_head(server_->port(), key1, key2) + std::string(key3));
    const std::string head = client.read_until("\r\n\r\n");
    EXPECT_TRUE(head.starts_with("HTTP/1.1 101 WebSocket Protocol Handshake\r\n")) << head;
    EXPECT_THAT(head, ::testing::HasSubstr("\r\nSec-WebSocket-Origin: " + hixie_origin + "\r\n"));
    EXPECT_THAT(head, ::testing::HasSubstr("\r\nSec-WebSocket-Location: ws://127.0.0.1:" +
                                           std::to_string(server_->port()) + "/demo\r\n"));
    EXPECT_EQ(hex(client.read_exact(16)), hex(answer));
    EXPECT_EQ(server_->read_line(), "open hixie-76");
  }

  void handshake_draft75(TcpClient& client) {
    client.send(draft75_request_head(server_->port()));
    const std::string head = client.read_until("\r\n\r\n");
    EXPECT_TRUE(head.starts_with("HTTP/1.1 101 Web Socket Protocol Handshake\r\n")) << head;
    EXPECT_THAT(head, ::testing::HasSubstr("\r\nWebSocket-Origin: " + hixie_origin + "\r\n"));
    EXPECT_THAT(head, ::testing::HasSubstr("\r\nWebSocket-Location: ws://127.0.0.1:" +
                                           std::to_string(server_->port()) + "/demo\r\n"));
    EXPECT_EQ(server_->read_line(), "open hixie-75");
  }

  std::unique_ptr<RubyEchoServer> server_;
};

TEST_F(RubyFayeHixieServer, Draft76DraftsExampleEchoesAndClientCloses) {
  TcpClient client(server_->port());
  handshake_draft76(client, draft76_key1, draft76_key2, draft76_key3, draft76_answer);
  expect_hixie_echoes(client);
  // draft-76 section 4.2: the closing frame is 0xFF 0x00; the server answers
  // with its own and closes the connection.
  client.send(std::string("\xFF\x00", 2));
  EXPECT_EQ(hex(client.read_exact(2)), "ff00");
  EXPECT_TRUE(client.reads_eof());
  EXPECT_EQ(server_->read_line(), "close none");
}

TEST_F(RubyFayeHixieServer, Draft76ServerCloses) {
  TcpClient client(server_->port());
  handshake_draft76(client, draft76_key1, draft76_key2, draft76_key3, draft76_answer);
  client.send(hixie_text_frame("close"));
  EXPECT_EQ(hex(client.read_exact(2)), "ff00");
  client.send(std::string("\xFF\x00", 2));
  EXPECT_TRUE(client.reads_eof());
  EXPECT_EQ(server_->read_line(), "close none");
}

// A Sec-WebSocket-KeyN value as draft-76 section 4.1 makes one: `number`
// times `spaces`, with 1-12 non-digit characters and then `spaces` spaces
// (never first or last) put in at random places.
std::string draft76_key(std::uint32_t number, std::uint32_t spaces, std::mt19937& random) {
  static constexpr std::string_view noise = "!\"#$%&'()*+,-./:;<=>?@AZaz[\\]^_`{|}~";
  std::string key = std::to_string(std::uint64_t{number} * spaces);
  for (std::uint32_t i = 0, count = 1 + random() % 12; i < count; ++i) {
    key.insert(random() % (key.size() + 1), 1, noise[random() % noise.size()]);
  }
  for (std::uint32_t i = 0; i < spaces; ++i) key.insert(1 + random() % (key.size() - 1), 1, ' ');
  return key;
}

// Ruby's answer to fresh keys is the one our driver computes (and our key
// parser reads back the numbers the keys were made from).
TEST_F(RubyFayeHixieServer, Draft76AnswersFreshKeysAsOurDriverDoes) {
  std::mt19937 random(76);  // fixed: failures are reproducible
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::array<std::uint32_t, 2> numbers{};
    std::array<std::string, 2> keys;
    for (std::size_t k = 0; k < 2; ++k) {
      const std::uint32_t spaces = 1 + random() % 12;
      numbers[k] = static_cast<std::uint32_t>(random() % (0xFFFF'FFFFull / spaces + 1));
      keys[k] = draft76_key(numbers[k], spaces, random);
      ASSERT_EQ(driver::draft76_key_number(keys[k]), numbers[k]) << keys[k];
    }
    std::array<std::uint8_t, 8> key3{};
    for (auto& byte : key3) byte = static_cast<std::uint8_t>(random());
    const auto answer = driver::draft76_answer(numbers[0], numbers[1], key3);
    ASSERT_TRUE(answer.has_value()) << "OpenSSL refused MD5";

    TcpClient client(server_->port());
    handshake_draft76(client, keys[0], keys[1],
                      std::string(reinterpret_cast<const char*>(key3.data()), key3.size()),
                      std::string(reinterpret_cast<const char*>(answer->data()), answer->size()));
    client.send(hixie_text_frame(multi_byte_text));
    EXPECT_EQ(read_hixie_text(client), multi_byte_text);
    client.send(std::string("\xFF\x00", 2));
    EXPECT_EQ(hex(client.read_exact(2)), "ff00");
    EXPECT_EQ(server_->read_line(), "close none");
  }
}

TEST_F(RubyFayeHixieServer, Draft75EchoesAndClientCloses) {
  {
    TcpClient client(server_->port());
    handshake_draft75(client);
    expect_hixie_echoes(client);
  }
  // draft-75 has no closing frame, so the seed reports the connection's end
  // as abnormal (1006), where a draft-76 closing frame gives a clean close.
  EXPECT_EQ(server_->read_line(), "close 1006");
}

TEST_F(RubyFayeHixieServer, Draft75ServerCloses) {
  TcpClient client(server_->port());
  handshake_draft75(client);
  client.send(hixie_text_frame("close"));
  EXPECT_TRUE(client.reads_eof());
  EXPECT_EQ(server_->read_line(), "close none");
}

}  // namespace
}  // namespace faye::test
