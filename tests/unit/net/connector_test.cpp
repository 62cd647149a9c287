#include "faye/net/connector.hpp"

#include <gtest/gtest.h>
#include <asio/error.hpp>

#include "unit/net/net_test_support.hpp"

namespace faye::net {
namespace {

using namespace test;

ConnectResult connect_and_wait(EventLoop& loop, const std::string& host, std::uint16_t port,
                               ConnectOptions options = {}) {
  std::optional<ConnectResult> result;
  auto connector = Connector::connect(loop, host, port, std::move(options),
                                      [&](ConnectResult r) { result = std::move(r); });
  EXPECT_TRUE(loop.run_until([&] { return result.has_value(); }, kDeadline));
  return result ? std::move(*result) : ConnectResult{};
}

TEST(NetConnector, ConnectsOverIPv4AndIPv6) {
  for (const char* host : {"127.0.0.1", "::1"}) {
    EventLoop loop;
    Listener listener(loop);
    ASSERT_FALSE(listener.listen({.host = host}, [](auto) {}));
    const auto result = connect_and_wait(loop, host, listener.port());
    EXPECT_TRUE(result) << result.message();
    EXPECT_FALSE(result.error);
  }
}

TEST(NetConnector, ReportsAnUnknownHostAsADnsFailure) {
  EventLoop loop;
  const auto result = connect_and_wait(loop, "no-such-host.invalid", 80);  // RFC 2606
  EXPECT_FALSE(result);
  EXPECT_TRUE(result.error);
  EXPECT_EQ(result.phase, ConnectPhase::resolve);
  EXPECT_EQ(result.message().rfind("dns: ", 0), 0u) << result.message();
  EXPECT_NE(result.message().find("no-such-host.invalid:80"), std::string::npos);
}

TEST(NetConnector, ReportsARefusedConnection) {
  EventLoop loop;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor closed(loop.context(), {asio::ip::make_address("127.0.0.1"), 0});
    port = closed.local_endpoint().port();
  }
  const auto result = connect_and_wait(loop, "127.0.0.1", port);
  EXPECT_FALSE(result);
  EXPECT_EQ(result.phase, ConnectPhase::connect);
  EXPECT_EQ(result.error, asio::error::connection_refused);
  EXPECT_EQ(result.message().rfind("connect: ", 0), 0u) << result.message();
}

TEST(NetConnector, CancelSuppressesTheResult) {
  EventLoop loop;
  Listener listener(loop);
  ASSERT_FALSE(listener.listen({.host = "127.0.0.1"}, [](auto) {}));
  bool called = false;
  auto connector = Connector::connect(loop, "127.0.0.1", listener.port(), {},
                                      [&](ConnectResult) { called = true; });
  connector->cancel();
  loop.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(called);
}

TEST(NetConnector, RunsATunnelBeforeHandingOver) {
  EventLoop loop;
  Listener listener(loop);
  std::shared_ptr<Connection> server;
  ASSERT_FALSE(listener.listen({.host = "127.0.0.1"}, [&](auto c) { server = std::move(c); }));
  ConnectOptions options;
  bool tunnelled = false;
  options.tunnel = [&](std::unique_ptr<Stream> stream, auto done) {
    tunnelled = true;
    done({}, std::move(stream));
  };
  const auto result = connect_and_wait(loop, "127.0.0.1", listener.port(), options);
  EXPECT_TRUE(result) << result.message();
  EXPECT_TRUE(tunnelled);

  options.tunnel = [](std::unique_ptr<Stream>, auto done) {
    done(std::make_error_code(std::errc::protocol_error), nullptr);
  };
  const auto failed = connect_and_wait(loop, "127.0.0.1", listener.port(), options);
  EXPECT_EQ(failed.phase, ConnectPhase::tunnel);
}

}  // namespace
}  // namespace faye::net
