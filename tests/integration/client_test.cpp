// faye::WebSocket::Client over real sockets on loopback, against:
//  - the project's own server side: net::Listener + WebSocket::accept on the
//    test's loop (plain, or TLS with certificates made at test time), and
//    faye::http::Server on its own threads;
//  - a real peer, Python's `websockets` (tests/interop/python_echo_server.py);
//  - raw servers that answer the handshake with chosen bytes, or never;
//  - a small CONNECT proxy.
// Every wait is bounded; every port comes from the OS. A failed connection
// attempt must give exactly one error event whose message begins with the
// phase ("dns:", "connect:", "proxy:", "tls:", "handshake:"), then close 1006.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <asio/error.hpp>

#include "faye/error.hpp"
#include "faye/http/parser.hpp"
#include "faye/http/server.hpp"
#include "faye/net/connection.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/net/listener.hpp"
#include "faye/net/proxy.hpp"
#include "faye/net/tls.hpp"
#include "faye/websocket.hpp"
#include "integration/connect_proxy.hpp"
#include "integration/python_peer.hpp"
#include "integration/tls_certificates.hpp"

namespace faye::test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto wait_limit = std::chrono::milliseconds(10'000);
// Connection-phase deadline for the timeout tests: short, so they stay fast.
constexpr auto short_timeout = std::chrono::milliseconds(300);

const std::vector<std::size_t> message_sizes{0,    1,     125,   126,     127,
                                             1000, 65535, 65536, 100'000, 1 << 20};

std::string text_of(std::size_t size) {
  std::string text(size, ' ');
  for (std::size_t i = 0; i < size; ++i) text[i] = static_cast<char>('a' + i % 26);
  return text;
}

std::string binary_of(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(i * 31 + 7);
  return bytes;
}

Bytes bytes_of(const std::string& data) {
  return as_bytes(data);
}

const TestCertificates& certificates() {
  static const TestCertificates made;
  return made;
}

// ---- What one socket reported -------------------------------------------------

struct Recorder {
  struct Message {
    bool text;
    std::string data;
  };
  std::vector<std::string> log;  // "open", "message", "error", "close" in order
  std::vector<Message> messages;
  std::vector<ErrorEvent> errors;
  std::optional<CloseEvent> closed;
  bool opened = false;
  int calls_after_close = 0;

  void watch(WebSocket& socket) {
    socket.onopen = [this](const OpenEvent&) {
      note("open");
      opened = true;
    };
    socket.onmessage = [this](const MessageEvent& event) {
      note("message");
      messages.push_back({event.data.is_text(), event.data.to_string()});
    };
    socket.onerror = [this](const ErrorEvent& event) {
      note("error");
      errors.push_back(event);
    };
    socket.onclose = [this](const CloseEvent& event) {
      note("close");
      closed = event;
    };
  }

  void note(const char* what) {
    if (closed) ++calls_after_close;
    log.emplace_back(what);
  }

  std::string describe() const {
    std::string out = "events:";
    for (const auto& entry : log) out += " " + entry;
    for (const auto& error : errors) out += "\n  error: " + error.message;
    if (closed) out += "\n  close: " + std::to_string(closed->code) + " '" + closed->reason + "'";
    return out;
  }
};

// ---- The project's own server side -----------------------------------------------

// net::Listener on 127.0.0.1 (plain or TLS) whose connections are parsed with
// http::RequestParser and handed to WebSocket::accept, all on the test's
// loop. Its sockets echo every message, except the text "close-me", which
// makes the server close with 4000 "server says bye".
struct FayeServerOptions {
  WebSocket::Options socket;
  net::TlsContext tls;
  std::string host = "127.0.0.1";
};

class FayeServer {
 public:
  using Options = FayeServerOptions;

  explicit FayeServer(net::EventLoop& loop, Options options = {})
      : options_(std::move(options)), listener_(loop) {
    std::string what;
    const std::error_code error = listener_.listen(
        {.host = options_.host, .port = 0, .tls = options_.tls},
        [this](std::shared_ptr<net::Connection> connection) { adopt(std::move(connection)); },
        [this](std::error_code error) { listener_errors.push_back(error); }, &what);
    if (error) throw std::runtime_error("FayeServer: " + what);
  }
  FayeServer(const FayeServer&) = delete;
  FayeServer& operator=(const FayeServer&) = delete;
  ~FayeServer() {
    // The sockets outlive this object on the loop: they must not call it.
    for (auto& socket : sockets) {
      socket->onopen = nullptr;
      socket->onmessage = nullptr;
      socket->onerror = nullptr;
      socket->onclose = nullptr;
      socket->close(1001, "server gone");
    }
    for (auto& pending : pending_) pending->detach();
  }

  std::uint16_t port() const { return listener_.port(); }
  std::string url(std::string_view host = "127.0.0.1", std::string_view path = "/") const {
    return std::string(options_.tls ? "wss://" : "ws://") + std::string(host) + ":" +
           std::to_string(port()) + std::string(path);
  }

  std::vector<http::Request> requests;  // upgrade requests (connection removed)
  std::vector<std::shared_ptr<WebSocket>> sockets;
  std::vector<CloseEvent> closes;                // what the server's sockets saw
  std::vector<std::error_code> listener_errors;  // failed TLS handshakes

 private:
  class PendingRequest final : public net::Connection::Handler {
   public:
    PendingRequest(FayeServer& server, std::shared_ptr<net::Connection> connection)
        : server_(server), connection_(std::move(connection)) {
      connection_->set_handler(this);
      connection_->start();
    }
    void detach() {
      if (connection_) connection_->set_handler(nullptr);
      connection_.reset();
    }

   private:
    void on_data(MutableBytes data) override {
      if (!connection_) return;
      const std::size_t used = parser_.parse(as_text(data));
      if (parser_.failed()) {
        connection_->write(
            std::string_view("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
        connection_->close();
        return detach();
      }
      if (!parser_.complete()) return;
      http::Request request = parser_.take();
      request.body.assign(as_text(data.subspan(used)));
      request.secure = connection_->is_secure();
      auto connection = std::move(connection_);
      detach();
      server_.handle(std::move(request), std::move(connection));
    }
    void on_closed(std::error_code) override { connection_.reset(); }

    FayeServer& server_;
    std::shared_ptr<net::Connection> connection_;
    http::RequestParser parser_;
  };

  void adopt(std::shared_ptr<net::Connection> connection) {
    pending_.push_back(std::make_unique<PendingRequest>(*this, std::move(connection)));
  }

  void handle(http::Request request, std::shared_ptr<net::Connection> connection) {
    if (!WebSocket::is_websocket(request)) {
      connection->write(std::string_view("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
      connection->close();
      return;
    }
    requests.push_back(request);
    connection->pause_reading();  // WebSocket::accept resumes it
    connection->set_handler(nullptr);
    request.connection = std::move(connection);
    auto socket = WebSocket::accept(request, options_.socket);
    ASSERT_NE(socket, nullptr);
    WebSocket* raw = socket.get();
    socket->onmessage = [raw](const MessageEvent& event) {
      if (event.data.is_text() && event.data.text() == "close-me") {
        raw->close(4000, "server says bye");
      } else {
        raw->send(event.data);
      }
    };
    socket->onclose = [this](const CloseEvent& event) { closes.push_back(event); };
    sockets.push_back(std::move(socket));
  }

  Options options_;
  net::Listener listener_;
  std::list<std::unique_ptr<PendingRequest>> pending_;
};

net::TlsContext server_tls(const CertificateFiles& files) {
  std::error_code error;
  std::string what;
  auto context =
      net::make_server_context({.cert_file = files.cert, .key_file = files.key}, error, &what);
  if (!context) throw std::runtime_error("server TLS context: " + what);
  return context;
}

// faye::http::Server (the embedded server, on threads of its own) with the
// application of the DESIGN's echo example: WebSocket::accept, echo, and
// "close-me" closes with 4000. What the server saw is kept under a mutex.
class EmbeddedServer {
 public:
  explicit EmbeddedServer(WebSocket::Options socket_options = {})
      : server_({.host = "127.0.0.1", .port = 0}, [this, socket_options](http::Request& request) {
          if (!WebSocket::is_websocket(request)) {
            return http::Response{200, {{"Content-Type", "text/plain"}}, "Hello"};
          }
          {
            std::lock_guard lock(mutex_);
            headers_.push_back(request.headers);
          }
          auto socket = WebSocket::accept(request, socket_options);
          WebSocket* raw = socket.get();
          socket->onmessage = [raw](const MessageEvent& event) {
            if (event.data.is_text() && event.data.text() == "close-me") {
              raw->close(4000, "server says bye");
            } else {
              raw->send(event.data);
            }
          };
          socket->onclose = [this](const CloseEvent& event) {
            std::lock_guard lock(mutex_);
            closes_.push_back(event);
          };
          return http::Response::hijacked();
        }) {
    server_.start();
  }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(server_.port()) + "/"; }
  std::vector<http::Headers> headers() const {
    std::lock_guard lock(mutex_);
    return headers_;
  }
  std::vector<CloseEvent> closes() const {
    std::lock_guard lock(mutex_);
    return closes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<http::Headers> headers_;
  std::vector<CloseEvent> closes_;
  http::Server server_;  // last: stopped (and its sockets closed) first
};

// ---- Raw servers: chosen bytes, or silence -------------------------------------------

// The value of the field `name` (case-insensitive) in an HTTP head, or "".
std::string field_of(const std::string& head, std::string_view name) {
  std::size_t line = head.find("\r\n");
  while (line != std::string::npos && line + 2 < head.size()) {
    const std::size_t start = line + 2;
    line = head.find("\r\n", start);
    const std::string text = head.substr(start, line - start);
    const std::size_t colon = text.find(':');
    if (colon != name.size() || !http::iequals(text.substr(0, colon), name)) continue;
    const std::size_t first = text.find_first_not_of(" \t", colon + 1);
    const std::size_t last = text.find_last_not_of(" \t");
    return first == std::string::npos ? std::string() : text.substr(first, last + 1 - first);
  }
  return {};
}

// RFC 6455 4.2.2: base64(SHA-1(key + GUID)), computed here independently of
// the library.
std::string accept_for(const std::string& key) {
  const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(length));
}

// A valid 101 answer to `head`, plus `extra` header lines ("Name: value\r\n").
std::string switching_protocols(const std::string& head, std::string_view extra = {}) {
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept_for(field_of(head, "Sec-WebSocket-Key")) + "\r\n" + std::string(extra) + "\r\n";
}

// A blocking server on its own thread: for each connection, reads the
// request head, sends what `answer` returns (nothing when it returns
// nullopt: a server that accepts but never answers), then either hangs up or
// keeps the connection open (reading and discarding) until stopped.
class RawServer {
 public:
  using Answer = std::function<std::optional<std::string>(const std::string& head)>;
  enum class After { hold, hang_up };

  explicit RawServer(Answer answer, After after = After::hold)
      : answer_(std::move(answer)), after_(after) {
    if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_, 16) != 0) {
      throw std::runtime_error("RawServer: cannot listen");
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;
  ~RawServer() {
    const char byte = 'x';
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
    thread_.join();
    for (int fd : {listen_, wake_[0], wake_[1]}) ::close(fd);
  }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/") const {
    return "ws://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<std::string> heads() const {
    std::lock_guard lock(mutex_);
    return heads_;
  }

 private:
  // One connection at a time is all these tests need.
  void run() {
    while (wait(listen_)) {
      const int client = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      serve(client);
      ::close(client);
    }
  }

  void serve(int client) {
    std::string head;
    std::size_t end;
    while ((end = head.find("\r\n\r\n")) == std::string::npos) {
      if (!wait(client)) return;
      char chunk[4096];
      const ssize_t got = ::recv(client, chunk, sizeof chunk, 0);
      if (got <= 0) return;
      head.append(chunk, static_cast<std::size_t>(got));
    }
    head.resize(end + 4);
    {
      std::lock_guard lock(mutex_);
      heads_.push_back(head);
    }
    if (std::optional<std::string> reply = answer_(head)) {
      std::string_view bytes = *reply;
      while (!bytes.empty()) {
        const ssize_t sent = ::send(client, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent <= 0) return;
        bytes.remove_prefix(static_cast<std::size_t>(sent));
      }
    }
    if (after_ == After::hang_up) return;
    char chunk[4096];
    while (wait(client) && ::recv(client, chunk, sizeof chunk, 0) > 0) {
    }
  }

  // Until `fd` is readable (true) or the server stops (false).
  bool wait(int fd) {
    pollfd entries[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    for (;;) {
      const int ready = ::poll(entries, 2, -1);
      if (ready < 0 && errno == EINTR) continue;
      return ready > 0 && entries[1].revents == 0;
    }
  }

  Answer answer_;
  After after_;
  int listen_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<std::string> heads_;
};

// A TCP port on 127.0.0.1 that is bound but not listening: connecting to it
// is refused (RST), and no one else can take it meanwhile.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      throw std::runtime_error("ClosedPort: bind failed");
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  ~ClosedPort() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// ---- The fixture ------------------------------------------------------------------------

class ClientTest : public ::testing::Test {
 protected:
  struct Client {
    std::shared_ptr<WebSocket> socket;
    Recorder* events;
    WebSocket* operator->() const { return socket.get(); }
  };

  Client connect(std::string_view url, ClientOptions options = {}) {
    auto socket = WebSocket::Client::connect(loop_, url, std::move(options));
    Recorder& events = recorders_.emplace_back();
    events.watch(*socket);
    clients_.push_back(socket);
    return {socket, &events};
  }

  template <class Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds timeout = wait_limit) {
    return loop_.run_until(done, timeout);
  }
  // Until the socket opens (true) or closes first (false).
  bool opens(const Client& client) {
    run_until([&] { return client.events->opened || client.events->closed.has_value(); });
    return client.events->opened && !client.events->closed;
  }
  bool closes(const Client& client, std::chrono::milliseconds timeout = wait_limit) {
    return run_until([&] { return client.events->closed.has_value(); }, timeout);
  }
  bool receives(const Client& client, std::size_t count) {
    return run_until([&] {
             return client.events->messages.size() >= count || client.events->closed.has_value();
           }) &&
           client.events->messages.size() >= count;
  }

  // One error event naming `phase`, then close 1006 (not clean), never open.
  static void expect_failed_in(const Client& client, std::string_view phase) {
    const Recorder& events = *client.events;
    ASSERT_TRUE(events.closed) << "no close event; " << events.describe();
    EXPECT_FALSE(events.opened) << events.describe();
    EXPECT_EQ(events.log, (std::vector<std::string>{"error", "close"})) << events.describe();
    ASSERT_EQ(events.errors.size(), 1u) << events.describe();
    EXPECT_THAT(events.errors[0].message, StartsWith(std::string(phase) + ": "))
        << "the error message must begin with the phase, '" << phase << "'";
    EXPECT_TRUE(events.errors[0].error) << "the error event carries no error code";
    EXPECT_EQ(events.closed->code, 1006);
    EXPECT_EQ(events.closed->reason, "");
    EXPECT_FALSE(events.closed->was_clean);
    EXPECT_EQ(client->ready_state(), ReadyState::closed);
  }

  void TearDown() override {
    for (auto& socket : clients_) socket->close();
    run_until(
        [&] {
          for (const auto& events : recorders_) {
            if (!events.closed) return false;
          }
          return true;
        },
        std::chrono::milliseconds(6000));
    // Callbacks that come late would show up here.
    loop_.run_for(std::chrono::milliseconds(20));
    for (const auto& events : recorders_) {
      EXPECT_TRUE(events.closed) << "a client never closed; " << events.describe();
      EXPECT_EQ(events.calls_after_close, 0) << "callbacks after onclose; " << events.describe();
    }
  }

  net::EventLoop loop_;  // first: outlives everything bound to it
  std::deque<Recorder> recorders_;
  std::vector<std::shared_ptr<WebSocket>> clients_;
};

class ClientFaye : public ClientTest {
 protected:
  // Sends every size as one message and checks each echo, type and bytes.
  void echo_many_sizes(const Client& client, bool text) {
    ASSERT_TRUE(opens(client)) << client.events->describe();
    std::vector<std::string> sent;
    for (std::size_t size : message_sizes) {
      sent.push_back(text ? text_of(size) : binary_of(size));
      EXPECT_TRUE(text ? client->send(std::string_view(sent.back()))
                       : client->send(bytes_of(sent.back())));
    }
    if (text) {
      sent.emplace_back("h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9F\x98\x80");  // 2-, 3-, 4-byte UTF-8
      EXPECT_TRUE(client->send(std::string_view(sent.back())));
    }
    ASSERT_TRUE(receives(client, sent.size())) << client.events->describe();
    for (std::size_t i = 0; i < sent.size(); ++i) {
      const auto& echo = client.events->messages[i];
      EXPECT_EQ(echo.text, text) << "message " << i;
      EXPECT_EQ(echo.data.size(), sent[i].size()) << "message " << i;
      EXPECT_TRUE(echo.data == sent[i])
          << "message " << i << " of " << sent[i].size() << " bytes came back altered";
    }
  }
};

class ClientPython : public ClientFaye {
 protected:
  void SetUp() override {
    if (!python_websockets_available()) {
      GTEST_SKIP() << "/usr/bin/python3 with the websockets module is not available";
    }
  }
};

class ClientHandshake : public ClientTest {};
class ClientHttpServer : public ClientFaye {
 protected:
  // The server runs on threads of its own: a client left open when it stops
  // would keep it waiting (shutdown_timeout) for an answer to its 1001
  // close, as this thread is not running the client's loop meanwhile.
  void close_before_server_stops(const Client& client) {
    client->close();
    EXPECT_TRUE(closes(client)) << client.events->describe();
  }
};
class ClientConnect : public ClientTest {};
class ClientTls : public ClientFaye {};
class ClientProxy : public ClientFaye {};

// ---- Against the project's own server --------------------------------------------------

TEST_F(ClientFaye, EchoesTextOfManySizes) {
  FayeServer server(loop_);
  echo_many_sizes(connect(server.url()), true);
}

TEST_F(ClientFaye, EchoesBinaryOfManySizes) {
  FayeServer server(loop_);
  echo_many_sizes(connect(server.url()), false);
}

TEST_F(ClientFaye, ReportsUrlVersionAndReadyState) {
  FayeServer server(loop_);
  auto client = connect(server.url("127.0.0.1", "/chat?room=1"));
  EXPECT_EQ(client->ready_state(), ReadyState::connecting);
  EXPECT_FALSE(client->send("too early")) << "send before open must refuse";
  ASSERT_TRUE(opens(client)) << client.events->describe();
  EXPECT_EQ(client->ready_state(), ReadyState::open);
  EXPECT_EQ(client->url(), server.url("127.0.0.1", "/chat?room=1"));
  EXPECT_EQ(client->version(), "hybi-13");
  EXPECT_EQ(client->protocol(), "");
  EXPECT_EQ(client->extensions(), "");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].target, "/chat?room=1");
}

TEST_F(ClientFaye, PingCallsOnPong) {
  FayeServer server(loop_);
  auto client = connect(server.url());
  ASSERT_TRUE(opens(client)) << client.events->describe();
  int pongs = 0;
  EXPECT_TRUE(client->ping("are you there?", [&] { ++pongs; }));
  EXPECT_TRUE(client->ping("", [&] { ++pongs; }));
  EXPECT_TRUE(run_until([&] { return pongs == 2; })) << client.events->describe();
}

TEST_F(ClientFaye, ClientClosesWithCodeAndReason) {
  FayeServer server(loop_);
  auto client = connect(server.url());
  ASSERT_TRUE(opens(client)) << client.events->describe();
  // On the loop's thread close() acts at once, as in a browser.
  std::optional<ReadyState> state_after_close;
  std::optional<bool> sent_after_close;
  loop_.post([&] {
    client->close(4001, "bye");
    state_after_close = client->ready_state();
    sent_after_close = client->send("after close");
  });
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_EQ(state_after_close, ReadyState::closing);
  EXPECT_EQ(sent_after_close, false) << "send while closing must refuse";
  // The close event carries the server's answer: its code echoes ours.
  EXPECT_EQ(client.events->closed->code, 4001);
  EXPECT_TRUE(client.events->closed->was_clean);
  EXPECT_TRUE(client.events->errors.empty()) << client.events->describe();
  ASSERT_TRUE(run_until([&] { return !server.closes.empty(); }));
  EXPECT_EQ(server.closes[0].code, 4001);
  EXPECT_EQ(server.closes[0].reason, "bye");
  EXPECT_TRUE(server.closes[0].was_clean);
}

TEST_F(ClientFaye, ServerClosesWithCodeAndReason) {
  FayeServer server(loop_);
  auto client = connect(server.url());
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->send("close-me");
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_EQ(client.events->closed->code, 4000);
  EXPECT_EQ(client.events->closed->reason, "server says bye");
  EXPECT_TRUE(client.events->closed->was_clean);
  EXPECT_TRUE(client.events->errors.empty()) << client.events->describe();
  ASSERT_TRUE(run_until([&] { return !server.closes.empty(); }));
  EXPECT_EQ(server.closes[0].code, 4000);
  EXPECT_TRUE(server.closes[0].was_clean);
}

TEST_F(ClientFaye, AgreesOnASubprotocol) {
  FayeServer server(loop_, {.socket = {.protocols = {"chat", "superchat"}}});
  auto client = connect(server.url(), {.protocols = {"v10.stomp", "superchat", "chat"}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  // The server takes the client's first protocol that it speaks.
  EXPECT_EQ(client->protocol(), "superchat");
  ASSERT_EQ(server.sockets.size(), 1u);
  EXPECT_EQ(server.sockets[0]->protocol(), "superchat");
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].headers.get_all("Sec-WebSocket-Protocol").value_or(""),
            "v10.stomp, superchat, chat");
}

// RFC 6455 4.2.2: a server that speaks none of the offered protocols answers
// without Sec-WebSocket-Protocol; the connection opens without one (as in
// websocket-driver; only a protocol that was not offered fails, see
// ClientHandshake.RejectsUnofferedSubprotocol).
TEST_F(ClientFaye, OpensWithoutSubprotocolWhenServerRefusesAll) {
  FayeServer server(loop_, {.socket = {.protocols = {"chat"}}});
  auto client = connect(server.url(), {.protocols = {"v9", "v10"}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  EXPECT_EQ(client->protocol(), "");
  EXPECT_EQ(server.sockets[0]->protocol(), "");
}

TEST_F(ClientFaye, SendsCustomHeaders) {
  FayeServer server(loop_);
  auto client = connect(server.url("localhost"),
                        {.headers = {{"Authorization", "Bearer t0ken"}, {"Cookie", "a=1; b=2"}},
                         .origin = "http://example.test"});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  ASSERT_EQ(server.requests.size(), 1u);
  const http::Headers& headers = server.requests[0].headers;
  EXPECT_EQ(headers.get("Authorization").value_or(""), "Bearer t0ken");
  EXPECT_EQ(headers.get("Cookie").value_or(""), "a=1; b=2");
  EXPECT_EQ(headers.get("Origin").value_or(""), "http://example.test");
  EXPECT_EQ(headers.get("Host").value_or(""), "localhost:" + std::to_string(server.port()));
  EXPECT_EQ(headers.get("Sec-WebSocket-Version").value_or(""), "13");
}

TEST_F(ClientFaye, CredentialsInUrlBecomeBasicAuthorization) {
  FayeServer server(loop_);
  auto client = connect("ws://al%20ice:s%3Acret@127.0.0.1:" + std::to_string(server.port()) + "/");
  ASSERT_TRUE(opens(client)) << client.events->describe();
  ASSERT_EQ(server.requests.size(), 1u);
  // base64("al ice:s:cret")
  EXPECT_EQ(server.requests[0].headers.get("Authorization").value_or(""),
            "Basic YWwgaWNlOnM6Y3JldA==");
}

TEST_F(ClientFaye, ConnectsToAnIpv6Literal) {
  FayeServer server(loop_, {.host = "::1"});
  auto client = connect(server.url("[::1]"));
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->send("over IPv6");
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].headers.get("Host").value_or(""),
            "[::1]:" + std::to_string(server.port()));
}

// RFC 6455 10.4: a message above max_length closes the connection with 1009.
TEST_F(ClientFaye, MessageAboveMaxLengthClosesWith1009) {
  FayeServer server(loop_);
  auto client = connect(server.url(), {.max_length = 1000});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->send(std::string_view(text_of(1000)));
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  client->send(std::string_view(text_of(1001)));
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_EQ(client.events->messages.size(), 1u);
  EXPECT_EQ(client.events->closed->code, 1009);
  ASSERT_TRUE(run_until([&] { return !server.closes.empty(); }));
  EXPECT_EQ(server.closes[0].code, 1009);
}

TEST_F(ClientFaye, CloseWhileConnectingGivesCloseWithoutOpen) {
  RawServer silent([](const std::string&) { return std::nullopt; });
  auto client = connect(silent.url());
  client->close();
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_FALSE(client.events->opened);
  EXPECT_EQ(client.events->closed->code, 1006);
  EXPECT_FALSE(client.events->closed->was_clean);
}

// ---- Against faye::http::Server ----------------------------------------------------------

TEST_F(ClientHttpServer, EchoesTextOfManySizes) {
  EmbeddedServer server;
  auto client = connect(server.url());
  echo_many_sizes(client, true);
  close_before_server_stops(client);
}

TEST_F(ClientHttpServer, EchoesBinaryOfManySizes) {
  EmbeddedServer server;
  auto client = connect(server.url());
  echo_many_sizes(client, false);
  close_before_server_stops(client);
}

TEST_F(ClientHttpServer, ClosesFromBothSides) {
  EmbeddedServer server;
  auto first = connect(server.url());
  auto second = connect(server.url());
  ASSERT_TRUE(opens(first)) << first.events->describe();
  ASSERT_TRUE(opens(second)) << second.events->describe();
  loop_.post([&] { first->close(4001, "bye"); });
  second->send("close-me");
  ASSERT_TRUE(closes(first)) << first.events->describe();
  ASSERT_TRUE(closes(second)) << second.events->describe();
  EXPECT_EQ(first.events->closed->code, 4001);
  EXPECT_TRUE(first.events->closed->was_clean);
  EXPECT_EQ(second.events->closed->code, 4000);
  EXPECT_EQ(second.events->closed->reason, "server says bye");
  EXPECT_TRUE(second.events->closed->was_clean);
  const auto deadline = std::chrono::steady_clock::now() + wait_limit;
  while (server.closes().size() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(server.closes().size(), 2u);
}

TEST_F(ClientHttpServer, PingAndSubprotocolAndHeaders) {
  EmbeddedServer server({.protocols = {"chat"}});
  auto client =
      connect(server.url(), {.protocols = {"v9", "chat"},
                             .headers = {{"Authorization", "Bearer t0ken"}, {"Cookie", "a=1"}}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  EXPECT_EQ(client->protocol(), "chat");
  int pongs = 0;
  EXPECT_TRUE(client->ping("hi", [&] { ++pongs; }));
  EXPECT_TRUE(run_until([&] { return pongs == 1; })) << client.events->describe();
  ASSERT_EQ(server.headers().size(), 1u);
  EXPECT_EQ(server.headers()[0].get("Authorization").value_or(""), "Bearer t0ken");
  EXPECT_EQ(server.headers()[0].get("Cookie").value_or(""), "a=1");
  close_before_server_stops(client);
}

// A plain HTTP answer to the upgrade request is a handshake failure.
TEST_F(ClientHttpServer, NonWebSocketPathIsRejected) {
  http::Server server({.host = "127.0.0.1", .port = 0}, [](http::Request&) {
    return http::Response{404, {{"Content-Type", "text/plain"}}, "no such socket"};
  });
  server.start();
  auto client = connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/nothing");
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::unexpected_status);
  EXPECT_THAT(client.events->errors[0].message, HasSubstr("404"));
}

// ---- Against Python's websockets --------------------------------------------------------

TEST_F(ClientPython, EchoesTextOfManySizes) {
  PythonEchoServer python;
  echo_many_sizes(connect(python.url()), true);
}

TEST_F(ClientPython, EchoesBinaryOfManySizes) {
  PythonEchoServer python;
  echo_many_sizes(connect(python.url()), false);
}

TEST_F(ClientPython, PingCallsOnPong) {
  PythonEchoServer python;
  auto client = connect(python.url());
  ASSERT_TRUE(opens(client)) << client.events->describe();
  int pongs = 0;
  EXPECT_TRUE(client->ping("ping from faye", [&] { ++pongs; }));
  EXPECT_TRUE(run_until([&] { return pongs == 1; })) << client.events->describe();
}

TEST_F(ClientPython, ClientClosesWithCodeAndReason) {
  PythonEchoServer python;
  auto client = connect(python.url());
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->close(4001, "bye");
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_EQ(client.events->closed->code, 4001);
  EXPECT_EQ(client.events->closed->reason, "bye");
  EXPECT_TRUE(client.events->closed->was_clean);
  EXPECT_TRUE(client.events->errors.empty()) << client.events->describe();
  EXPECT_EQ(python.read_line(), "closed 4001 bye");
}

TEST_F(ClientPython, ServerClosesWithCodeAndReason) {
  PythonEchoServer python;
  auto client = connect(python.url());
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->send("close 4002 see you");
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_EQ(client.events->closed->code, 4002);
  EXPECT_EQ(client.events->closed->reason, "see you");
  EXPECT_TRUE(client.events->closed->was_clean);
  EXPECT_TRUE(client.events->errors.empty()) << client.events->describe();
  // The client echoed the status code (RFC 6455 5.5.1).
  EXPECT_THAT(python.read_line(), StartsWith("closed 4002"));
}

TEST_F(ClientPython, AgreesOnASubprotocol) {
  PythonEchoServer python({"chat"});
  auto client = connect(python.url(), {.protocols = {"v9", "chat"}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  EXPECT_EQ(client->protocol(), "chat");
  client->send("subprotocol?");
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  EXPECT_EQ(client.events->messages[0].data, "chat");
}

TEST_F(ClientPython, OpensWithoutSubprotocolWhenServerRefusesAll) {
  PythonEchoServer python({"chat"});
  auto client = connect(python.url(), {.protocols = {"v9"}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  EXPECT_EQ(client->protocol(), "");
  client->send("subprotocol?");
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  EXPECT_EQ(client.events->messages[0].data, "");
}

TEST_F(ClientPython, SendsCustomHeaders) {
  PythonEchoServer python;
  auto client = connect(python.url("/path?q=1"),
                        {.headers = {{"Authorization", "Bearer t0ken"}, {"Cookie", "a=1; b=2"}},
                         .origin = "http://example.test"});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->send("headers?");
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  const std::string& seen = client.events->messages[0].data;
  EXPECT_THAT(seen, HasSubstr("Authorization: Bearer t0ken\n"));
  EXPECT_THAT(seen, HasSubstr("Cookie: a=1; b=2\n"));
  EXPECT_THAT(seen, HasSubstr("Origin: http://example.test\n"));
  EXPECT_THAT(seen, HasSubstr("Host: 127.0.0.1:" + std::to_string(python.port()) + "\n"));
  EXPECT_THAT(seen, HasSubstr("Sec-WebSocket-Version: 13\n"));
}

// ---- Handshake rejections (raw servers) -----------------------------------------------------

TEST_F(ClientHandshake, RejectsWrongAccept) {
  RawServer server([](const std::string&) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
           accept_for("dGhlIHNhbXBsZSBub25jZQ==") + "\r\n\r\n";
  });
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::bad_accept);
}

TEST_F(ClientHandshake, RejectsWrongStatus) {
  RawServer server([](const std::string&) {
    return std::string("HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\n\r\nforbidden");
  });
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::unexpected_status);
  EXPECT_THAT(client.events->errors[0].message, HasSubstr("403"));
}

TEST_F(ClientHandshake, RejectsUnofferedSubprotocol) {
  RawServer server([](const std::string& head) {
    return switching_protocols(head, "Sec-WebSocket-Protocol: superchat\r\n");
  });
  auto client = connect(server.url(), {.protocols = {"chat"}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::bad_protocol);
  ASSERT_EQ(server.heads().size(), 1u);
  EXPECT_EQ(field_of(server.heads()[0], "Sec-WebSocket-Protocol"), "chat");
}

TEST_F(ClientHandshake, RejectsSubprotocolWhenNoneOffered) {
  RawServer server([](const std::string& head) {
    return switching_protocols(head, "Sec-WebSocket-Protocol: chat\r\n");
  });
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::bad_protocol);
}

TEST_F(ClientHandshake, RejectsUnofferedExtension) {
  RawServer server([](const std::string& head) {
    return switching_protocols(head, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
  });
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::bad_extension);
}

TEST_F(ClientHandshake, RejectsMissingUpgradeHeader) {
  RawServer server([](const std::string& head) {
    return "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
           accept_for(field_of(head, "Sec-WebSocket-Key")) + "\r\n\r\n";
  });
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::bad_response);
}

TEST_F(ClientHandshake, RejectsNonHttpAnswer) {
  RawServer server([](const std::string&) { return std::string("SSH-2.0-OpenSSH_9.2\r\n\r\n"); });
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::bad_response);
}

TEST_F(ClientHandshake, ServerHangingUpBeforeAnsweringFails) {
  RawServer server([](const std::string&) { return std::nullopt; }, RawServer::After::hang_up);
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "handshake");
}

TEST_F(ClientHandshake, ServerThatNeverAnswersTimesOut) {
  RawServer server([](const std::string&) { return std::nullopt; });
  const auto start = std::chrono::steady_clock::now();
  auto client = connect(server.url(), {.connect_timeout = short_timeout});
  ASSERT_TRUE(closes(client, std::chrono::milliseconds(5000))) << client.events->describe();
  const auto took = std::chrono::steady_clock::now() - start;
  expect_failed_in(client, "handshake");
  EXPECT_EQ(client.events->errors[0].error, Error::handshake_timeout);
  EXPECT_GE(took, short_timeout - std::chrono::milliseconds(20));
  EXPECT_EQ(server.heads().size(), 1u) << "the request was sent";
}

// Frames that share the server's write with the 101 are not lost.
TEST_F(ClientHandshake, FramesInTheSameWriteAsThe101AreDelivered) {
  RawServer server([](const std::string& head) {
    return switching_protocols(head) + std::string("\x81\x05hello\x82\x03\x00\x01\x02", 12);
  });
  auto client = connect(server.url());
  ASSERT_TRUE(opens(client)) << client.events->describe();
  ASSERT_TRUE(receives(client, 2)) << client.events->describe();
  EXPECT_TRUE(client.events->messages[0].text);
  EXPECT_EQ(client.events->messages[0].data, "hello");
  EXPECT_FALSE(client.events->messages[1].text);
  EXPECT_EQ(client.events->messages[1].data, std::string("\x00\x01\x02", 3));
}

// A fragmented message with a ping between its fragments (RFC 6455 5.4).
TEST_F(ClientHandshake, FragmentedMessageArrivesWhole) {
  RawServer server([](const std::string& head) {
    return switching_protocols(head) + std::string(
                                           "\x01\x03"
                                           "fra"
                                           "\x89\x00"
                                           "\x80\x04"
                                           "gile",
                                           13);
  });
  auto client = connect(server.url());
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  EXPECT_TRUE(client.events->messages[0].text);
  EXPECT_EQ(client.events->messages[0].data, "fragile");
}

// RFC 6455 5.1: a client MUST close the connection when a server frame is
// masked (1002).
TEST_F(ClientHandshake, MaskedFrameFromServerIsAProtocolError) {
  RawServer server([](const std::string& head) {
    return switching_protocols(head) + std::string("\x81\x82\x00\x00\x00\x00hi", 8);
  });
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_TRUE(client.events->messages.empty());
  EXPECT_EQ(client.events->closed->code, 1002) << client.events->describe();
  EXPECT_FALSE(client.events->errors.empty()) << "a protocol error is reported";
}

// RFC 6455 7.1.1: the client does not wait forever for the server's close
// frame; it reports the timeout, then close 1006.
TEST_F(ClientHandshake, PeerThatNeverAnswersCloseTimesOut) {
  RawServer server([](const std::string& head) { return switching_protocols(head); });
  auto client = connect(server.url(), {.close_timeout = short_timeout});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->close(1000, "done");
  ASSERT_TRUE(closes(client, std::chrono::milliseconds(5000))) << client.events->describe();
  EXPECT_EQ(client.events->log, (std::vector<std::string>{"open", "error", "close"}))
      << client.events->describe();
  ASSERT_EQ(client.events->errors.size(), 1u);
  EXPECT_EQ(client.events->errors[0].error, Error::close_timeout);
  EXPECT_EQ(client.events->closed->code, 1006);
  EXPECT_FALSE(client.events->closed->was_clean);
}

// After the handshake, a peer that vanishes without a close frame gives
// error, then close 1006.
TEST_F(ClientHandshake, PeerHangingUpAfterOpenGivesAbnormalClose) {
  RawServer server([](const std::string& head) { return switching_protocols(head); },
                   RawServer::After::hang_up);
  auto client = connect(server.url());
  ASSERT_TRUE(closes(client)) << client.events->describe();
  EXPECT_EQ(client.events->log, (std::vector<std::string>{"open", "error", "close"}))
      << client.events->describe();
  EXPECT_EQ(client.events->closed->code, 1006);
  EXPECT_FALSE(client.events->closed->was_clean);
}

// ---- Connection failures ---------------------------------------------------------------------

TEST_F(ClientConnect, RefusedConnectionFailsInConnect) {
  ClosedPort closed;
  auto client = connect("ws://127.0.0.1:" + std::to_string(closed.port()) + "/");
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "connect");
  EXPECT_EQ(client.events->errors[0].error, asio::error::connection_refused);
}

TEST_F(ClientConnect, UnknownHostFailsInDns) {
  // RFC 6761 6.4: names under .invalid never resolve.
  auto client = connect("ws://faye-client-test.invalid/",
                        {.connect_timeout = std::chrono::milliseconds(3000)});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "dns");
}

TEST_F(ClientConnect, MalformedUrlThrowsAtOnce) {
  EXPECT_THROW(WebSocket::Client::connect(loop_, "http://127.0.0.1/"), std::invalid_argument);
  EXPECT_THROW(WebSocket::Client::connect(loop_, "ws://"), std::invalid_argument);
  EXPECT_THROW(WebSocket::Client::connect(loop_, "ws://127.0.0.1:99999/"), std::invalid_argument);
  EXPECT_THROW(WebSocket::Client::connect(loop_, "ws://127.0.0.1/#fragment"),
               std::invalid_argument);
  EXPECT_THROW(WebSocket::Client::connect(loop_, "ws://127.0.0.1/",
                                          {.proxy = {.url = "socks5://127.0.0.1:1080"}}),
               std::invalid_argument);
}

// ---- TLS ----------------------------------------------------------------------------------------

TEST_F(ClientTls, TrustedChainPasses) {
  FayeServer server(loop_, {.tls = server_tls(certificates().localhost())});
  auto client = connect(server.url("localhost"), {.tls = {.ca_file = certificates().ca().cert}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  EXPECT_EQ(client->url(), server.url("localhost"));
  client->send("over TLS");
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  EXPECT_EQ(client.events->messages[0].data, "over TLS");
  ASSERT_EQ(server.sockets.size(), 1u);
  EXPECT_EQ(server.sockets[0]->url(), server.url("localhost"));
}

TEST_F(ClientTls, EchoesLargeMessagesOverTls) {
  FayeServer server(loop_, {.tls = server_tls(certificates().localhost())});
  echo_many_sizes(connect(server.url("localhost"), {.tls = {.ca_file = certificates().ca().cert}}),
                  false);
}

TEST_F(ClientTls, IpAddressInCertificatePasses) {
  FayeServer server(loop_, {.tls = server_tls(certificates().localhost())});
  auto client = connect(server.url("127.0.0.1"), {.tls = {.ca_file = certificates().ca().cert}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
}

TEST_F(ClientTls, WrongHostNameFails) {
  FayeServer server(loop_, {.tls = server_tls(certificates().wrong_name())});
  auto client = connect(server.url("localhost"), {.tls = {.ca_file = certificates().ca().cert}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "tls");
  EXPECT_EQ(client.events->errors[0].error,
            std::error_code(X509_V_ERR_HOSTNAME_MISMATCH, net::tls_verify_category()));
}

TEST_F(ClientTls, ServerNameOptionIsWhatGetsVerified) {
  FayeServer server(loop_, {.tls = server_tls(certificates().wrong_name())});
  auto client =
      connect(server.url("127.0.0.1"),
              {.tls = {.ca_file = certificates().ca().cert, .server_name = "wrong.example"}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
}

TEST_F(ClientTls, UntrustedCertificateFails) {
  FayeServer server(loop_, {.tls = server_tls(certificates().self_signed())});
  auto client = connect(server.url("localhost"), {.tls = {.ca_file = certificates().ca().cert}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "tls");
  EXPECT_EQ(client.events->errors[0].error,
            std::error_code(X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, net::tls_verify_category()));
  // The server sees the handshake fail (the client's alert), and goes on.
  EXPECT_TRUE(run_until([&] { return !server.listener_errors.empty(); }));
}

// Verification is on by default, against the system's trust store, which
// does not know the test CA.
TEST_F(ClientTls, SystemTrustStoreIsTheDefault) {
  FayeServer server(loop_, {.tls = server_tls(certificates().localhost())});
  auto client = connect(server.url("localhost"));
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "tls");
  EXPECT_EQ(
      client.events->errors[0].error,
      std::error_code(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, net::tls_verify_category()));
}

TEST_F(ClientTls, ExpiredCertificateFails) {
  FayeServer server(loop_, {.tls = server_tls(certificates().expired())});
  auto client = connect(server.url("localhost"), {.tls = {.ca_file = certificates().ca().cert}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "tls");
  EXPECT_EQ(client.events->errors[0].error,
            std::error_code(X509_V_ERR_CERT_HAS_EXPIRED, net::tls_verify_category()));
}

TEST_F(ClientTls, InsecureConnectsToAnyCertificate) {
  for (const CertificateFiles* files :
       {&certificates().self_signed(), &certificates().expired(), &certificates().wrong_name()}) {
    FayeServer server(loop_, {.tls = server_tls(*files)});
    auto client = connect(server.url("localhost"), {.tls = {.insecure = true}});
    ASSERT_TRUE(opens(client)) << files->cert << ": " << client.events->describe();
    client->send("insecure");
    ASSERT_TRUE(receives(client, 1)) << client.events->describe();
    client->close();
    ASSERT_TRUE(closes(client));
  }
}

TEST_F(ClientTls, MissingCaFileFailsInTls) {
  auto client = connect("wss://localhost:1/",
                        {.tls = {.ca_file = (certificates().directory() / "absent.pem").string()}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "tls");
}

TEST_F(ClientTls, ServerThatNeverAnswersTimesOut) {
  RawServer silent([](const std::string&) { return std::nullopt; });
  auto client =
      connect("wss://localhost:" + std::to_string(silent.port()) + "/",
              {.connect_timeout = short_timeout, .tls = {.ca_file = certificates().ca().cert}});
  ASSERT_TRUE(closes(client, std::chrono::milliseconds(5000))) << client.events->describe();
  expect_failed_in(client, "tls");
}

// ---- Through an HTTP CONNECT proxy
// ---------------------------------------------------------------

TEST_F(ClientProxy, TunnelsThroughTheProxy) {
  FayeServer server(loop_);
  ConnectProxy proxy;
  auto client =
      connect(server.url(), {.proxy = {.url = proxy.url(), .headers = {{"X-Proxy-Token", "abc"}}}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->send("through the tunnel");
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  EXPECT_EQ(client.events->messages[0].data, "through the tunnel");
  const std::string target = "127.0.0.1:" + std::to_string(server.port());
  ASSERT_EQ(proxy.requests().size(), 1u);
  const std::string head = proxy.requests()[0];
  EXPECT_THAT(head, StartsWith("CONNECT " + target + " HTTP/1.1\r\n"));
  EXPECT_EQ(field_of(head, "Host"), target);
  EXPECT_EQ(field_of(head, "X-Proxy-Token"), "abc");
  EXPECT_EQ(field_of(head, "Proxy-Authorization"), "");
  EXPECT_EQ(proxy.tunnels(), 1);
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].headers.get("Host").value_or(""), target);
}

TEST_F(ClientProxy, SendsCredentialsFromTheProxyUrl) {
  FayeServer server(loop_);
  ConnectProxy proxy({.credentials = "user:p@ss word"});
  auto client = connect(server.url(), {.proxy = {.url = proxy.url("user:p%40ss%20word")}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_EQ(field_of(proxy.requests()[0], "Proxy-Authorization"), "Basic dXNlcjpwQHNzIHdvcmQ=");
}

TEST_F(ClientProxy, MissingCredentialsFailWith407) {
  FayeServer server(loop_);
  ConnectProxy proxy({.credentials = "user:secret"});
  auto client = connect(server.url(), {.proxy = {.url = proxy.url()}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "proxy");
  EXPECT_EQ(client.events->errors[0].error, std::error_code(407, net::proxy_category()));
  EXPECT_THAT(client.events->errors[0].message, HasSubstr("407"));
  EXPECT_TRUE(server.requests.empty());
}

TEST_F(ClientProxy, WrongCredentialsFailWith407) {
  FayeServer server(loop_);
  ConnectProxy proxy({.credentials = "user:secret"});
  auto client = connect(server.url(), {.proxy = {.url = proxy.url("user:guess")}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "proxy");
  EXPECT_EQ(client.events->errors[0].error, std::error_code(407, net::proxy_category()));
}

TEST_F(ClientProxy, RefusalFailsWith403) {
  FayeServer server(loop_);
  ConnectProxy proxy({.mode = ConnectProxy::Mode::refuse});
  auto client = connect(server.url(), {.proxy = {.url = proxy.url()}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "proxy");
  EXPECT_EQ(client.events->errors[0].error, std::error_code(403, net::proxy_category()));
  EXPECT_EQ(proxy.tunnels(), 0);
  EXPECT_THAT(client.events->errors[0].message, HasSubstr("403"));
}

TEST_F(ClientProxy, SilentProxyTimesOut) {
  FayeServer server(loop_);
  ConnectProxy proxy({.mode = ConnectProxy::Mode::never_answer});
  auto client =
      connect(server.url(), {.connect_timeout = short_timeout, .proxy = {.url = proxy.url()}});
  ASSERT_TRUE(closes(client, std::chrono::milliseconds(5000))) << client.events->describe();
  expect_failed_in(client, "proxy");
}

TEST_F(ClientProxy, UnreachableProxyFailsInConnect) {
  FayeServer server(loop_);
  ClosedPort closed;
  auto client = connect(server.url(),
                        {.proxy = {.url = "http://127.0.0.1:" + std::to_string(closed.port())}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "connect");
  EXPECT_EQ(client.events->errors[0].error, asio::error::connection_refused);
}

// TLS runs inside the tunnel, verified against the origin's name.
TEST_F(ClientProxy, TlsInsideTheTunnel) {
  FayeServer server(loop_, {.tls = server_tls(certificates().localhost())});
  ConnectProxy proxy;
  auto client = connect(server.url("localhost"), {.tls = {.ca_file = certificates().ca().cert},
                                                  .proxy = {.url = proxy.url()}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  client->send("secret");
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  EXPECT_EQ(client.events->messages[0].data, "secret");
  ASSERT_EQ(proxy.requests().size(), 1u);
  EXPECT_THAT(proxy.requests()[0],
              StartsWith("CONNECT localhost:" + std::to_string(server.port()) + " HTTP/1.1\r\n"));
}

TEST_F(ClientProxy, TlsVerificationStillAppliesThroughTheTunnel) {
  FayeServer server(loop_, {.tls = server_tls(certificates().wrong_name())});
  ConnectProxy proxy;
  auto client = connect(server.url("localhost"), {.tls = {.ca_file = certificates().ca().cert},
                                                  .proxy = {.url = proxy.url()}});
  ASSERT_TRUE(closes(client)) << client.events->describe();
  expect_failed_in(client, "tls");
  EXPECT_EQ(client.events->errors[0].error,
            std::error_code(X509_V_ERR_HOSTNAME_MISMATCH, net::tls_verify_category()));
}

TEST_F(ClientProxy, PythonPeerThroughTheProxy) {
  if (!python_websockets_available()) GTEST_SKIP() << "no python3 websockets";
  PythonEchoServer python;
  ConnectProxy proxy;
  auto client = connect(python.url(), {.proxy = {.url = proxy.url()}});
  ASSERT_TRUE(opens(client)) << client.events->describe();
  const std::string big = binary_of(300'000);
  client->send(bytes_of(big));
  ASSERT_TRUE(receives(client, 1)) << client.events->describe();
  EXPECT_TRUE(client.events->messages[0].data == big);
}

}  // namespace
}  // namespace faye::test
