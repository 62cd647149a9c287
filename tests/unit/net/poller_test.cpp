// The loop's readiness poller (src/net/poller.hpp, internal): what
// net::Connection relies on beyond what its own tests show.
#include "net/poller.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "faye/net/event_loop.hpp"

namespace faye::net {
namespace {

using namespace std::chrono_literals;

// A connected pair of sockets, closed at the end of the test.
struct SocketPair {
  SocketPair() {
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
  }
  ~SocketPair() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void send_byte() { EXPECT_EQ(::write(fds[1], "x", 1), 1); }
  int fds[2] = {-1, -1};
};

struct RecordingClient final : detail::ReadinessClient {
  void on_ready(std::uint32_t events) override {
    ++calls;
    last_events = events;
    if (then) then();
  }
  void on_poller_gone() override { ++gone; }
  int calls = 0;
  int gone = 0;
  std::uint32_t last_events = 0;
  std::function<void()> then;
};

TEST(NetPoller, ReportsInputOnARegisteredSocket) {
  EventLoop loop;
  SocketPair pair;
  RecordingClient client;
  std::error_code ec;
  const Poller::Token token = loop.poller().add(pair.fds[0], client, ec);
  ASSERT_FALSE(ec);
  pair.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return client.calls > 0; }, 5s));
  EXPECT_TRUE(client.last_events & EPOLLIN);
  loop.poller().remove(token, pair.fds[0]);
}

// Edge-triggered: nothing new, no second report, until more input arrives.
TEST(NetPoller, ReportsEachChangeOnce) {
  EventLoop loop;
  SocketPair pair;
  RecordingClient client;
  std::error_code ec;
  const Poller::Token token = loop.poller().add(pair.fds[0], client, ec);
  pair.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return client.calls > 0; }, 5s));
  const int after_first = client.calls;
  loop.run_for(30ms);
  EXPECT_EQ(client.calls, after_first);
  pair.send_byte();
  EXPECT_TRUE(loop.run_until([&] { return client.calls > after_first; }, 5s));
  loop.poller().remove(token, pair.fds[0]);
}

// Both sockets are ready in one batch; whichever is told first removes the
// other, which then must not be called with its stale event.
TEST(NetPoller, RemovedDuringABatchIsNotCalled) {
  EventLoop loop;
  SocketPair first_pair;
  SocketPair second_pair;
  RecordingClient first;
  RecordingClient second;
  std::error_code ec;
  const Poller::Token first_token = loop.poller().add(first_pair.fds[0], first, ec);
  const Poller::Token second_token = loop.poller().add(second_pair.fds[0], second, ec);
  bool first_removed = false;
  bool second_removed = false;
  first.then = [&] {
    if (!second_removed) loop.poller().remove(second_token, second_pair.fds[0]);
    second_removed = true;
  };
  second.then = [&] {
    if (!first_removed) loop.poller().remove(first_token, first_pair.fds[0]);
    first_removed = true;
  };
  first_pair.send_byte();
  second_pair.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return first.calls + second.calls > 0; }, 5s));
  loop.run_for(30ms);
  EXPECT_EQ(first.calls + second.calls, 1);
  if (!first_removed) loop.poller().remove(first_token, first_pair.fds[0]);
  if (!second_removed) loop.poller().remove(second_token, second_pair.fds[0]);
}

// forget() + close: the kernel drops the descriptor from the set; the slot is
// free, the others still report, and a new socket (often given the same
// descriptor number) registers and reports as usual.
TEST(NetPoller, ForgottenAndClosedSocketsLeaveTheSetCleanly) {
  EventLoop loop;
  auto closing = std::make_unique<SocketPair>();
  SocketPair staying;
  RecordingClient forgotten;
  RecordingClient other;
  std::error_code ec;
  const Poller::Token token = loop.poller().add(closing->fds[0], forgotten, ec);
  const Poller::Token other_token = loop.poller().add(staying.fds[0], other, ec);
  ASSERT_FALSE(ec);
  closing->send_byte();
  loop.poller().forget(token);
  closing.reset();
  staying.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return other.calls > 0; }, 5s));
  loop.run_for(30ms);
  EXPECT_EQ(forgotten.calls, 0);

  SocketPair fresh;
  RecordingClient newcomer;
  const Poller::Token fresh_token = loop.poller().add(fresh.fds[0], newcomer, ec);
  ASSERT_FALSE(ec) << ec.message();
  fresh.send_byte();
  EXPECT_TRUE(loop.run_until([&] { return newcomer.calls > 0; }, 5s));
  EXPECT_EQ(forgotten.calls, 0);
  loop.poller().remove(fresh_token, fresh.fds[0]);
  loop.poller().remove(other_token, staying.fds[0]);
}

// With nothing registered the poller holds no pending work: run() returns.
TEST(NetPoller, LoopRunReturnsOnceNothingIsRegistered) {
  EventLoop loop;
  SocketPair pair;
  RecordingClient client;
  std::error_code ec;
  const Poller::Token token = loop.poller().add(pair.fds[0], client, ec);
  loop.poller().remove(token, pair.fds[0]);
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// A loop destroyed with clients still registered tells them, so that what
// their wait held (a connection's reference to itself) is released.
TEST(NetPoller, DestroyingTheLoopTellsRegisteredClients) {
  auto loop = std::make_unique<EventLoop>();
  SocketPair pair;
  RecordingClient client;
  std::error_code ec;
  loop->poller().add(pair.fds[0], client, ec);
  loop.reset();
  EXPECT_EQ(client.gone, 1);
}

TEST(NetPoller, AFailedRegistrationSaysWhy) {
  EventLoop loop;
  RecordingClient client;
  std::error_code ec;
  loop.poller().add(-1, client, ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace faye::net
