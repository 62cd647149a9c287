// faye behind nginx, deployed as users deploy it: `faye-ws serve` (or
// faye::http::Server in the test) on 127.0.0.1, nginx in front with the
// standard WebSocket proxy configuration (tests/interop/nginx_websocket_proxy.conf),
// and faye::WebSocket::Client (or Python's `websockets`) connecting through
// it. Every case runs twice: plain (ws:// at nginx, ws:// behind) and with
// nginx terminating TLS (wss:// with a certificate made at test time that the
// client trusts through its TLS options, ws:// behind).
//
// What must cross the proxy untouched: messages of every kind, size and
// order; ping and pong; close codes and reasons in both directions; the
// negotiated permessage-deflate (compressed on the wire, as nginx's access
// log shows) and subprotocol. A missing nginx, faye-ws or python3-websockets
// FAILS (scripts/deps installs them). Every wait is bounded and every child
// is stopped by its PID.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <random>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "faye/driver/permessage_deflate.hpp"
#include "faye/http/server.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/websocket.hpp"
#include "integration/python_peer.hpp"
#include "integration/tls_certificates.hpp"
#include "integration/ws_test_client.hpp"
#include "interop/nginx_proxy.hpp"
#include "interop/socket_events.hpp"

namespace faye::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

#ifdef FAYE_WS_BIN
constexpr const char* faye_ws_binary = FAYE_WS_BIN;
#else
constexpr const char* faye_ws_binary = nullptr;
#endif

constexpr auto wait_limit = std::chrono::milliseconds(20'000);

const TestCertificates& certificates() {
  static const TestCertificates made;
  return made;
}

// ---- The backend: `faye-ws serve` on 127.0.0.1, a port from the OS ------------------

class FayeWsServe {
 public:
  explicit FayeWsServe(const std::vector<std::string>& extra_args = {}) {
    if (faye_ws_binary == nullptr) {
      throw std::runtime_error("FAYE_WS_BIN is not set: build the faye-ws example");
    }
    std::vector<std::string> argv{faye_ws_binary, "serve", "--host", "127.0.0.1", "--port", "0",
                                  "--threads",    "1",     "--quiet"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<ChildProcess>(argv);
    const std::string line = process_->read_line();
    static const std::regex listening(
        R"(^faye-ws serve: listening on http://127\.0\.0\.1:(\d+)/ .*$)");
    std::smatch match;
    if (!std::regex_match(line, match, listening)) {
      throw std::runtime_error("faye-ws serve said '" + line + "'");
    }
    port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  std::unique_ptr<ChildProcess> process_;  // stopped by PID when destroyed
  std::uint16_t port_ = 0;
};



// The close a client sees after sending the backend a text message one byte
// longer than `max_length` (what the backend itself says, with or without a
// proxy in between).
CloseEvent close_for_too_long_message(const std::string& url, WebSocket::Client::Options options,
                                      std::size_t max_length) {
  RecordedClient client(url, std::move(options), wait_limit);
  if (!client.opens()) throw std::runtime_error("no connection: " + client.events.describe());
  client.socket().send(std::string(max_length + 1, 'x'));
  if (!client.closes()) throw std::runtime_error("no close: " + client.events.describe());
  return *client.events.closed;
}

// ---- The cases, through plain and TLS-terminating nginx -----------------------------

enum class Scheme { plain, tls };

void PrintTo(Scheme scheme, std::ostream* out) {
  *out << (scheme == Scheme::tls ? "wss:// terminated by nginx" : "ws:// through nginx");
}

std::string name_of(const ::testing::TestParamInfo<Scheme>& info) {
  return info.param == Scheme::tls ? "Tls" : "Plain";
}

class ProxiedWebSocket : public ::testing::TestWithParam<Scheme> {
 protected:
  bool tls() const { return GetParam() == Scheme::tls; }

  // nginx in front of `backend_port`, terminating TLS in the TLS case.
  void start_proxy(std::uint16_t backend_port) {
    std::optional<CertificateFiles> certificate;
    if (tls()) certificate = certificates().localhost();
    proxy_ = std::make_unique<NginxProxy>(backend_port, certificate);
  }

  // Client options that trust the test CA (used only over wss://).
  WebSocket::Client::Options client_options(WebSocket::Client::Options options = {}) const {
    options.tls.ca_file = certificates().ca().cert;
    return options;
  }

  // A client through the proxy, open; otherwise a failure that shows
  // nginx's error log.
  std::unique_ptr<RecordedClient> connect(WebSocket::Client::Options options = {}) {
    auto client = std::make_unique<RecordedClient>(proxy_->url(), client_options(std::move(options)),
                                                   wait_limit);
    if (!client->opens()) {
      ADD_FAILURE() << "no connection through nginx: " << client->events.describe()
                    << "\nnginx error log:\n"
                    << proxy_->error_log();
    }
    return client;
  }

  // nginx's access-log line for the WebSocket request, once the connection
  // has ended (nginx logs it then).
  std::string access_log_line() {
    const auto deadline = Clock::now() + wait_limit;
    while (Clock::now() < deadline) {
      std::istringstream lines(proxy_->access_log());
      for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("101 ")) return line;
      }
      std::this_thread::sleep_for(20ms);
    }
    return "";
  }

  std::unique_ptr<NginxProxy> proxy_;
};

TEST_P(ProxiedWebSocket, CarriesTextBinaryLargeAndManyMessagesInOrder) {
  FayeWsServe backend;
  start_proxy(backend.port());
  auto client = connect();
  ASSERT_TRUE(client->events.opened);

  std::mt19937 random(6455);  // fixed: failures are reproducible
  std::string large(4 << 20, '\0');
  for (auto& byte : large) byte = static_cast<char>(random());
  std::string every_byte;
  for (int value = 0; value < 256; ++value) every_byte.push_back(static_cast<char>(value));
  std::vector<ReceivedMessage> sent{
      {true, "Hello through nginx"},
      {true, "h\xC3\xA9llo \xE2\x9C\x93 \xE2\x82\xAC \xF0\x9F\x98\x80"},  // 2-, 3- and 4-byte UTF-8
      {false, every_byte},
      {false, large},
  };
  for (int i = 0; i < 1000; ++i) sent.push_back({true, "message #" + std::to_string(i)});

  for (const auto& message : sent) {
    EXPECT_TRUE(message.text ? client->socket().send(std::string_view(message.data))
                             : client->socket().send(as_bytes(message.data)));
  }
  ASSERT_TRUE(client->receives(sent.size())) << client->events.describe();
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto& got = client->events.messages[i];
    EXPECT_EQ(got.text, sent[i].text) << "message " << i << " came back as the other type";
    EXPECT_EQ(got.data.size(), sent[i].data.size()) << "message " << i;
    EXPECT_TRUE(got.data == sent[i].data) << "message " << i << " came back altered or reordered";
  }
  EXPECT_TRUE(client->events.errors.empty()) << client->events.describe();
}

TEST_P(ProxiedWebSocket, PingGetsItsPong) {
  FayeWsServe backend;
  start_proxy(backend.port());
  auto client = connect();
  ASSERT_TRUE(client->events.opened);

  bool ponged = false;
  ASSERT_TRUE(client->socket().ping("through nginx", [&] { ponged = true; }));
  EXPECT_TRUE(client->runs_until([&] { return ponged; })) << client->events.describe();
}

TEST_P(ProxiedWebSocket, ClientCloseComesBackWithItsCodeAndReason) {
  FayeWsServe backend;
  start_proxy(backend.port());
  auto client = connect();
  ASSERT_TRUE(client->events.opened);

  client->socket().close(4000, "client is done");
  ASSERT_TRUE(client->closes()) << client->events.describe();
  EXPECT_EQ(client->events.closed->code, 4000);
  EXPECT_EQ(client->events.closed->reason, "client is done");
  EXPECT_TRUE(client->events.closed->was_clean) << client->events.describe();
  EXPECT_TRUE(client->events.errors.empty()) << client->events.describe();
  EXPECT_EQ(client->events.calls_after_close, 0);
}

TEST_P(ProxiedWebSocket, ServerCloseForTooLongMessageReachesTheClient) {
  constexpr std::size_t max_length = 1000;
  FayeWsServe backend({"--max-length", std::to_string(max_length)});
  start_proxy(backend.port());

  const CloseEvent direct = close_for_too_long_message(backend.url(), {}, max_length);
  const CloseEvent proxied =
      close_for_too_long_message(proxy_->url(), client_options(), max_length);
  EXPECT_EQ(proxied.code, 1009);
  EXPECT_FALSE(proxied.reason.empty());
  EXPECT_EQ(proxied.reason, direct.reason) << "nginx altered the server's close frame";
  EXPECT_TRUE(proxied.was_clean);
}

TEST_P(ProxiedWebSocket, NegotiatesPermessageDeflateEndToEnd) {
  FayeWsServe backend;
  start_proxy(backend.port());
  auto client = connect({.extensions = {std::make_shared<driver::PermessageDeflate>()}});
  ASSERT_TRUE(client->events.opened);
  EXPECT_THAT(client->socket().extensions(), StartsWith("permessage-deflate"));

  constexpr std::size_t size = 1 << 20;
  const std::string_view sentence = "The quick brown fox jumps over the lazy dog. ";
  std::string compressible;
  while (compressible.size() < size) compressible.append(sentence);
  compressible.resize(size);
  ASSERT_TRUE(client->socket().send(std::string_view(compressible)));
  ASSERT_TRUE(client->receives(1)) << client->events.describe();
  EXPECT_TRUE(client->events.messages[0].text);
  EXPECT_TRUE(client->events.messages[0].data == compressible) << "the echo came back altered";

  client->socket().close();
  ASSERT_TRUE(client->closes());
  // The echo crossed nginx compressed: far fewer bytes than the message.
  const std::string line = access_log_line();
  ASSERT_THAT(line, StartsWith("101 ")) << "access log:\n" << proxy_->access_log();
  const std::size_t bytes_sent = std::stoul(line.substr(4));
  EXPECT_LT(bytes_sent, size / 16) << line;
  EXPECT_THAT(line, HasSubstr("permessage-deflate")) << line;
}

TEST_P(ProxiedWebSocket, SubprotocolPassesThrough) {
  FayeWsServe backend({"--protocol", "chat"});
  start_proxy(backend.port());
  auto client = connect({.protocols = {"superchat", "chat"}});
  ASSERT_TRUE(client->events.opened);
  EXPECT_EQ(client->socket().protocol(), "chat");
}

// faye::http::Server as the backend, to see the request nginx forwards: an
// upgrade that is_websocket() recognises, and the forwarding headers of the
// configuration.
TEST_P(ProxiedWebSocket, BackendSeesAnUpgradeWithForwardingHeaders) {
  std::mutex mutex;
  std::vector<http::Request> upgrades;  // without their connections
  http::Server backend({.host = "127.0.0.1", .port = 0}, [&](http::Request& request) {
    if (!WebSocket::is_websocket(request)) return http::Response{404, {}, "not a WebSocket\n"};
    {
      http::Request copy = request;
      copy.connection.reset();
      std::lock_guard lock(mutex);
      upgrades.push_back(std::move(copy));
    }
    auto ws = WebSocket::accept(request);
    WebSocket* socket = ws.get();  // alive until onclose, which drops the handler
    ws->onmessage = [socket](const MessageEvent& event) { socket->send(event.data); };
    return http::Response::hijacked();
  });
  backend.start();
  start_proxy(backend.port());
  auto client = connect();
  ASSERT_TRUE(client->events.opened);
  ASSERT_TRUE(client->socket().send("hello backend"));
  ASSERT_TRUE(client->receives(1)) << client->events.describe();
  EXPECT_EQ(client->events.messages[0].data, "hello backend");

  std::lock_guard lock(mutex);
  ASSERT_EQ(upgrades.size(), 1u);
  const http::Request& request = upgrades[0];
  EXPECT_FALSE(request.secure) << "nginx talks to the backend in plain HTTP";
  EXPECT_EQ(request.host(), "127.0.0.1");
  EXPECT_EQ(request.headers.get("X-Forwarded-For").value_or(""), "127.0.0.1");
  EXPECT_EQ(request.headers.get("X-Real-IP").value_or(""), "127.0.0.1");
  EXPECT_EQ(request.headers.get("X-Forwarded-Proto").value_or(""), tls() ? "https" : "http");
  EXPECT_TRUE(request.headers.has_token("Connection", "upgrade"));
}

// Python's `websockets` with permessage-deflate as a second client through
// the proxy: tests/interop/python_deflate_client.py checks every echo.
// Over wss:// it trusts the test CA through OpenSSL's SSL_CERT_FILE.
TEST_P(ProxiedWebSocket, PythonWebsocketsClientGetsEveryEchoCompressed) {
  ASSERT_TRUE(python_websockets_available())
      << python_interpreter << " with the websockets module is missing: run scripts/deps";
  FayeWsServe backend;
  start_proxy(backend.port());
  ChildProcess python({"/usr/bin/env", "SSL_CERT_FILE=" + certificates().ca().cert,
                       python_interpreter,
                       (source_dir() / "tests/interop/python_deflate_client.py").string(), "--url",
                       proxy_->url(), "--timeout", "30"});
  std::vector<std::string> lines;
  while (lines.empty() || (lines.back() != "ok" && !lines.back().starts_with("FAIL"))) {
    lines.push_back(python.read_line(std::chrono::seconds(40)));
  }
  std::string output;
  for (const auto& line : lines) output += line + '\n';
  EXPECT_EQ(lines.back(), "ok") << output << "nginx error log:\n" << proxy_->error_log();
  EXPECT_THAT(output, HasSubstr("extensions: permessage-deflate")) << output;
  static const std::regex compressed_some(R"(compressed: [1-9]\d* of \d+)");
  EXPECT_TRUE(std::regex_search(output, compressed_some)) << output;
}

INSTANTIATE_TEST_SUITE_P(Nginx, ProxiedWebSocket, ::testing::Values(Scheme::plain, Scheme::tls),
                         name_of);

}  // namespace
}  // namespace faye::test
