#include "faye/net/tls.hpp"

#include <openssl/x509_vfy.h>

#include <gtest/gtest.h>
#include <asio/error.hpp>

#include "faye/error.hpp"
#include "unit/net/net_test_support.hpp"

namespace faye::net {
namespace {

using namespace test;

TlsContext server_context() {
  const auto& certificates = TestCertificates::get();
  std::error_code ec;
  std::string what;
  auto context = make_server_context(
      {.cert_file = certificates.server_cert, .key_file = certificates.server_key}, ec, &what);
  EXPECT_TRUE(context) << what;
  return context;
}

TlsContext client_context(TlsClientConfig config) {
  std::error_code ec;
  std::string what;
  auto context = make_client_context(config, ec, &what);
  EXPECT_TRUE(context) << what;
  return context;
}

TlsClientConfig trusting_test_ca() {
  return {.ca_file = TestCertificates::get().ca_cert};
}

// A TLS listener and one client attempt against it.
struct TlsSetup {
  TlsSetup(EventLoop& loop, TlsContext client_tls, std::string host = "localhost",
           std::string server_name = {})
      : listener(loop) {
    ListenOptions options{.host = "127.0.0.1", .tls = server_context()};
    EXPECT_FALSE(listener.listen(
        options, [this](std::shared_ptr<Connection> c) { server = std::move(c); },
        [this](std::error_code ec) { server_error = ec; }));
    ConnectOptions connect{.tls = std::move(client_tls), .server_name = std::move(server_name)};
    connector = Connector::connect(loop, host, listener.port(), connect,
                                   [this](ConnectResult r) { result = std::move(r); });
    EXPECT_TRUE(loop.run_until([&] { return result.has_value(); }, kDeadline));
  }

  Listener listener;
  std::shared_ptr<Connector> connector;
  std::shared_ptr<Connection> server;
  std::optional<std::error_code> server_error;
  std::optional<ConnectResult> result;
};

TEST(NetTls, EchoesWithAVerifiedCertificate) {
  EventLoop loop;
  TlsSetup setup(loop, client_context(trusting_test_ca()));
  ASSERT_TRUE(setup.result && *setup.result) << setup.result->message();
  ASSERT_TRUE(loop.run_until([&] { return setup.server != nullptr; }, kDeadline));
  auto client = setup.result->connection;
  EXPECT_TRUE(client->is_secure());
  EXPECT_TRUE(setup.server->is_secure());
  Recorder server_events, client_events;
  server_events.on_data_hook = [&](MutableBytes data) { setup.server->write(Bytes(data)); };
  setup.server->set_handler(&server_events);
  client->set_handler(&client_events);
  setup.server->start();
  client->start();
  const std::string payload = pattern(4 << 20);
  client->write(std::string(payload));
  EXPECT_TRUE(
      loop.run_until([&] { return client_events.received.size() == payload.size(); }, kDeadline));
  EXPECT_TRUE(client_events.received == payload);
  // A graceful close sends close_notify: the server reads it as end of input.
  client->close();
  EXPECT_TRUE(
      loop.run_until([&] { return server_events.closed && client_events.closed; }, kDeadline));
  EXPECT_EQ(*server_events.closed, asio::error::eof);
  EXPECT_FALSE(*client_events.closed) << client_events.closed->message();
}

TEST(NetTls, VerifiesAnIPAddressAgainstTheCertificate) {
  EventLoop loop;
  TlsSetup setup(loop, client_context(trusting_test_ca()), "127.0.0.1");
  ASSERT_TRUE(setup.result);
  EXPECT_TRUE(*setup.result) << setup.result->message();
}

TEST(NetTls, RejectsAnUntrustedCertificate) {
  EventLoop loop;
  TlsSetup setup(loop, client_context({}));  // system trust store: our CA is unknown
  ASSERT_TRUE(setup.result);
  EXPECT_FALSE(*setup.result);
  EXPECT_EQ(setup.result->phase, ConnectPhase::tls);
  EXPECT_EQ(setup.result->error.category(), tls_verify_category());
  EXPECT_EQ(setup.result->error.value(), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_EQ(setup.result->message().rfind("tls: certificate verify failed: ", 0), 0u)
      << setup.result->message();
}

TEST(NetTls, RejectsTheWrongHostName) {
  EventLoop loop;
  TlsSetup setup(loop, client_context(trusting_test_ca()), "localhost", "wrong.example");
  ASSERT_TRUE(setup.result);
  EXPECT_FALSE(*setup.result);
  EXPECT_EQ(setup.result->error,
            std::error_code(X509_V_ERR_HOSTNAME_MISMATCH, tls_verify_category()));
  EXPECT_EQ(setup.result->error.message(), "certificate verify failed: hostname mismatch");
}

TEST(NetTls, InsecureModeSkipsVerification) {
  EventLoop loop;
  TlsSetup setup(loop, client_context({.insecure = true}), "localhost", "wrong.example");
  ASSERT_TRUE(setup.result);
  EXPECT_TRUE(*setup.result) << setup.result->message();
}

TEST(NetTls, ClientHandshakeTimesOutAgainstASilentServer) {
  EventLoop loop;
  Listener listener(loop);  // plain TCP: accepts, never answers the ClientHello
  std::shared_ptr<Connection> silent;
  ASSERT_FALSE(listener.listen({.host = "127.0.0.1"}, [&](auto c) { silent = std::move(c); }));
  std::optional<ConnectResult> result;
  ConnectOptions options{.handshake_timeout = std::chrono::milliseconds(200),
                         .tls = client_context(trusting_test_ca())};
  auto connector = Connector::connect(loop, "127.0.0.1", listener.port(), options,
                                      [&](ConnectResult r) { result = std::move(r); });
  EXPECT_TRUE(loop.run_until([&] { return result.has_value(); }, kDeadline));
  EXPECT_EQ(result->phase, ConnectPhase::tls);
  EXPECT_EQ(result->error, Error::handshake_timeout);
}

TEST(NetTls, ServerHandshakeTimesOutAgainstASilentClient) {
  EventLoop loop;
  Listener listener(loop);
  std::optional<std::error_code> error;
  ListenOptions options{.host = "127.0.0.1",
                        .tls = server_context(),
                        .handshake_timeout = std::chrono::milliseconds(100)};
  ASSERT_FALSE(listener.listen(
      options, [](auto) { FAIL() << "no connection expected"; },
      [&](std::error_code ec) { error = ec; }));
  RawPeer peer;
  peer.connect(listener.port());
  EXPECT_TRUE(loop.run_until([&] { return error.has_value(); }, kDeadline));
  EXPECT_EQ(*error, Error::handshake_timeout);
}

TEST(NetTls, ServerRejectsPlainTextWithoutCrashing) {
  EventLoop loop;
  Listener listener(loop);
  std::optional<std::error_code> error;
  ListenOptions options{.host = "127.0.0.1", .tls = server_context()};
  ASSERT_FALSE(listener.listen(
      options, [](auto) { FAIL() << "no connection expected"; },
      [&](std::error_code ec) { error = ec; }));
  RawPeer peer;
  peer.connect(listener.port());
  asio::write(peer.socket, asio::buffer(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  EXPECT_TRUE(loop.run_until([&] { return error.has_value(); }, kDeadline));
  EXPECT_EQ(error->category(), asio::error::get_ssl_category()) << error->message();
}

TEST(NetTls, ContextErrorsNameTheFile) {
  std::error_code ec;
  std::string what;
  EXPECT_FALSE(make_server_context({.cert_file = "/nonexistent.pem", .key_file = "/x"}, ec, &what));
  EXPECT_TRUE(ec);
  EXPECT_EQ(what.rfind("cert_file '/nonexistent.pem': ", 0), 0u) << what;
  EXPECT_FALSE(make_client_context({.ca_file = "/nonexistent-ca.pem"}, ec, &what));
  EXPECT_EQ(what.rfind("ca_file '/nonexistent-ca.pem': ", 0), 0u) << what;
}

}  // namespace
}  // namespace faye::net
