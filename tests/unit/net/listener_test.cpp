#include "faye/net/listener.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

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

// The peer's address comes with accept4(), for the accept handler only.
void expect_accepted_peer(const std::string& host) {
  EventLoop loop;
  Listener listener(loop);
  std::shared_ptr<Connection> accepted;
  std::string during;
  ASSERT_FALSE(listener.listen({.host = host}, [&](auto c) {
    during = listener.accepted_peer();
    accepted = std::move(c);
  }));
  RawPeer peer;
  peer.connect(listener.port(), host.c_str());
  ASSERT_TRUE(loop.run_until([&] { return accepted != nullptr; }, kDeadline));
  EXPECT_FALSE(during.empty());
  EXPECT_EQ(during, accepted->remote_endpoint());
  EXPECT_EQ(listener.accepted_peer(), "");
}

TEST(NetListener, TellsTheAcceptedPeerToTheHandlerOnIPv4) {
  expect_accepted_peer("127.0.0.1");
}

TEST(NetListener, TellsTheAcceptedPeerToTheHandlerOnIPv6) {
  expect_accepted_peer("::1");
}

// With defer_accept the kernel completes a connection only once its client
// has spoken: a silent one is not handed over, and one that sends is, with
// its bytes already there to read.
TEST(NetListener, DeferredAcceptWaitsForTheClientsFirstBytes) {
  EventLoop loop;
  Listener listener(loop);
  std::shared_ptr<Connection> accepted;
  Recorder events;
  ASSERT_FALSE(
      listener.listen({.host = "127.0.0.1", .defer_accept = std::chrono::seconds(30)}, [&](auto c) {
        accepted = std::move(c);
        accepted->set_handler(&events);
        accepted->start();
      }));
  RawPeer peer;
  peer.connect(listener.port());  // the kernel's SYN-ACK completes connect()
  loop.run_for(300ms);
  EXPECT_EQ(accepted, nullptr);

  asio::write(peer.socket, asio::buffer(std::string_view("GET /")));
  ASSERT_TRUE(loop.run_until([&] { return events.received == "GET /"; }, kDeadline));
  EXPECT_NE(accepted, nullptr);
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

TEST(NetListener, AcceptsManyPendingConnectionsInBatches) {
  // More than one accept batch waiting at once: all are taken.
  EventLoop loop;
  Listener listener(loop);
  std::vector<std::shared_ptr<Connection>> accepted;
  ASSERT_FALSE(listener.listen({.host = "127.0.0.1"},
                               [&](auto c) { accepted.push_back(std::move(c)); }));
  std::vector<std::unique_ptr<RawPeer>> peers;
  for (int i = 0; i < 150; ++i) {
    peers.push_back(std::make_unique<RawPeer>());
    peers.back()->connect(listener.port());
  }
  EXPECT_TRUE(loop.run_until([&] { return accepted.size() == peers.size(); }, kDeadline));
}

// Out of descriptors: the listener reports EMFILE, doesn't spin or crash, and
// accepts the waiting connection once descriptors are free again.
TEST(NetListener, OutOfDescriptorsReportsAndRecovers) {
#if defined(__SANITIZE_ADDRESS__)
  constexpr bool sanitized = true;
#elif defined(__has_feature)
  constexpr bool sanitized = __has_feature(address_sanitizer);
#else
  constexpr bool sanitized = false;
#endif
  // UBSan's vptr check opens a pipe to probe memory: with no descriptor left
  // it reports every virtual call as bad. The plain build runs this test.
  if (sanitized) GTEST_SKIP() << "the sanitizer runtime needs descriptors of its own";
  EventLoop loop;
  Listener listener(loop);
  std::vector<std::shared_ptr<Connection>> accepted;
  std::vector<std::error_code> errors;
  ASSERT_FALSE(listener.listen(
      {.host = "127.0.0.1"}, [&](auto c) { accepted.push_back(std::move(c)); },
      [&](std::error_code ec) { errors.push_back(ec); }));
  RawPeer peer;
  peer.socket.open(asio::ip::tcp::v4());  // its descriptor, before they run out

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_cur, 4096);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> hogs;
  for (int fd; (fd = ::dup(0)) >= 0;) hogs.push_back(fd);
  ASSERT_EQ(errno, EMFILE);

  peer.socket.connect({asio::ip::make_address("127.0.0.1"), listener.port()});
  loop.run_for(std::chrono::milliseconds(250));
  const std::size_t reports = errors.size();
  // Checked once descriptors are back: sanitizers need some for their own checks.
  for (int fd : hogs) ::close(fd);
  ::setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors.front(), std::errc::too_many_files_open) << errors.front().message();
  // A few reports at most, one per 100 ms retry: not a spin.
  EXPECT_LE(reports, 5u);
  EXPECT_TRUE(accepted.empty());
  EXPECT_TRUE(loop.run_until([&] { return accepted.size() == 1; }, kDeadline));
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
