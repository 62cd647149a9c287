// Shared pieces of the net tests: a recording handler, a connected pair of
// Connections on loopback, a blocking raw peer, and a test CA.
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include <gtest/gtest.h>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "faye/net/connection.hpp"
#include "faye/net/connector.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/net/listener.hpp"

namespace faye::net::test {

using namespace std::chrono_literals;
inline constexpr auto kDeadline = 10s;  // bound for every wait in these tests

// Records what a Connection reports; optional hooks run inside the callbacks.
struct Recorder final : Connection::Handler {
  void on_data(MutableBytes data) override {
    received.append(as_text(data));
    ++batches;
    if (on_data_hook) on_data_hook(data);
  }
  void on_drain() override {
    ++drains;
    if (on_drain_hook) on_drain_hook();
  }
  void on_closed(std::error_code ec) override {
    ++closes;
    closed = ec;
  }
  void on_shutdown() override {
    ++shutdowns;
    if (on_shutdown_hook) on_shutdown_hook();
  }

  std::string received;
  int batches = 0;
  int drains = 0;
  int closes = 0;
  int shutdowns = 0;
  std::optional<std::error_code> closed;
  std::function<void(MutableBytes)> on_data_hook;
  std::function<void()> on_drain_hook;
  std::function<void()> on_shutdown_hook;
};

// A server and a client Connection joined over loopback, handlers attached
// and started.
struct Pair {
  explicit Pair(EventLoop& loop, std::string host = "127.0.0.1",
                ConnectionOptions server_options = {}, ConnectionOptions client_options = {})
      : loop(loop), listener(loop) {
    ListenOptions options{.host = host, .port = 0};
    options.connection = server_options;
    std::string what;
    auto ec = listener.listen(
        options, [this](std::shared_ptr<Connection> connection) { server = std::move(connection); },
        {}, &what);
    EXPECT_FALSE(ec) << what;
    ConnectOptions connect_options;
    connect_options.connection = client_options;
    connector = Connector::connect(loop, host, listener.port(), connect_options,
                                   [this](ConnectResult result) {
                                     EXPECT_TRUE(result) << result.message();
                                     client = std::move(result.connection);
                                   });
    EXPECT_TRUE(loop.run_until([&] { return server && client; }, kDeadline));
    if (server && client) {
      server->set_handler(&server_events);
      client->set_handler(&client_events);
      server->start();
      client->start();
    }
    listener.stop();
  }
  // Leaves nothing pending in the loop: the connections end with the test.
  ~Pair() {
    if (server) server->set_handler(nullptr), server->abort();
    if (client) client->set_handler(nullptr), client->abort();
    loop.poll();
  }

  EventLoop& loop;
  Listener listener;
  std::shared_ptr<Connector> connector;
  std::shared_ptr<Connection> server;
  std::shared_ptr<Connection> client;
  Recorder server_events;
  Recorder client_events;
};

// A plain blocking socket with its own io_context, for peers that must
// misbehave (not read, reset) or run on another thread.
struct RawPeer {
  void connect(std::uint16_t port, const char* address = "127.0.0.1") {
    socket.connect({asio::ip::make_address(address), port});
  }
  // Reads until EOF or error; returns what arrived and the error that ended it.
  std::pair<std::string, std::error_code> read_all() {
    std::string data;
    std::error_code ec;
    char buffer[65536];
    for (;;) {
      const std::size_t n = socket.read_some(asio::buffer(buffer), ec);
      data.append(buffer, n);
      if (ec) break;
    }
    return {data, ec};
  }

  asio::io_context context;
  asio::ip::tcp::socket socket{context};
};

inline std::string pattern(std::size_t size) {
  std::string data(size, '\0');
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
  return data;
}

// A CA and a server certificate for "localhost" and 127.0.0.1, made once per
// test run with the openssl command in a temporary directory.
struct TestCertificates {
  std::filesystem::path dir;
  std::string ca_cert, server_cert, server_key;

  static const TestCertificates& get() {
    static const TestCertificates certificates = make();
    return certificates;
  }

 private:
  static TestCertificates make() {
    TestCertificates c;
    char dir_template[] = "/tmp/faye-net-tls-XXXXXX";
    c.dir = ::mkdtemp(dir_template);
    const std::string d = c.dir.string();
    c.ca_cert = d + "/ca.pem";
    c.server_cert = d + "/server.pem";
    c.server_key = d + "/server.key";
    const std::string script =
        "cd '" + d +
        "' && "
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
        "-subj '/CN=faye test CA' >/dev/null 2>&1 && "
        "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr "
        "-subj '/CN=localhost' >/dev/null 2>&1 && "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\\n' > san.ext && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        "-out server.pem -days 2 -extfile san.ext >/dev/null 2>&1";
    if (std::system(script.c_str()) != 0) ADD_FAILURE() << "openssl could not make certificates";
    return c;
  }
};

}  // namespace faye::net::test
