#include "faye/net/listener.hpp"

#include <gtest/gtest.h>
#include <asio/error.hpp>

#include "unit/net/net_test_support.hpp"

namespace faye::net {
namespace {

using namespace test;

std::shared_ptr<Connection> accept_one(EventLoop& loop, const std::string& host,
                                       const char* connect_to) {
  Listener listener(loop);
  std::shared_ptr<Connection> accepted;
  std::string what;
  EXPECT_FALSE(listener.listen(
      {.host = host}, [&](auto c) { accepted = std::move(c); }, {}, &what))
      << what;
  EXPECT_NE(listener.port(), 0);
  RawPeer peer;
  peer.connect(listener.port(), connect_to);
  EXPECT_TRUE(loop.run_until([&] { return accepted != nullptr; }, kDeadline));
  return accepted;
}

TEST(NetListener, AcceptsOnIPv4) {
  EventLoop loop;
  auto connection = accept_one(loop, "127.0.0.1", "127.0.0.1");
  ASSERT_TRUE(connection);
  EXPECT_EQ(connection->remote_endpoint().rfind("127.0.0.1:", 0), 0u);
  int nodelay = 0;
  socklen_t size = sizeof nodelay;
  ::getsockopt(connection->native_handle(), IPPROTO_TCP, TCP_NODELAY, &nodelay, &size);
  EXPECT_TRUE(nodelay);
}

TEST(NetListener, AcceptsOnIPv6) {
  EventLoop loop;
  auto connection = accept_one(loop, "::1", "::1");
  ASSERT_TRUE(connection);
  EXPECT_EQ(connection->remote_endpoint().rfind("[::1]:", 0), 0u);
}

TEST(NetListener, ResolvesLocalhost) {
  EventLoop loop;
  Listener listener(loop);
  ASSERT_FALSE(listener.listen({.host = "localhost"}, [](auto) {}));
  EXPECT_NE(listener.port(), 0);
  const std::string endpoint = listener.local_endpoint();
  EXPECT_TRUE(endpoint.rfind("127.0.0.1:", 0) == 0 || endpoint.rfind("[::1]:", 0) == 0) << endpoint;
}

TEST(NetListener, ReusePortLetsTwoListenersShareAPort) {
  EventLoop loop;
  Listener first(loop), second(loop);
  ASSERT_FALSE(first.listen({.host = "127.0.0.1", .reuse_port = true}, [](auto) {}));
  std::string what;
  EXPECT_FALSE(second.listen(
      {.host = "127.0.0.1", .port = first.port(), .reuse_port = true}, [](auto) {}, {}, &what))
      << what;
}

TEST(NetListener, ReportsAPortInUse) {
  EventLoop loop;
  Listener first(loop), second(loop);
  ASSERT_FALSE(first.listen({.host = "127.0.0.1"}, [](auto) {}));
  std::string what;
  const auto ec = second.listen(
      {.host = "127.0.0.1", .port = first.port()}, [](auto) {}, {}, &what);
  EXPECT_EQ(ec, asio::error::address_in_use);
  EXPECT_EQ(what.rfind("bind 127.0.0.1:", 0), 0u) << what;
}

TEST(NetListener, StopClosesTheListeningSocket) {
  EventLoop loop;
  Listener listener(loop);
  ASSERT_FALSE(listener.listen({.host = "127.0.0.1"}, [](auto) {}));
  const auto port = listener.port();
  listener.stop();
  loop.poll();
  RawPeer peer;
  std::error_code ec;
  peer.socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_EQ(ec, asio::error::connection_refused);
}

}  // namespace
}  // namespace faye::net
