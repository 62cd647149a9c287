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
#include <utility>
#include <vector>

#include <gmock/gmock.h>
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

// A slot held from reserve() to release(), watching `fd` if one is given.
struct Held {
  Held(Poller& poller, detail::ReadinessClient& client, int fd = -1)
      : poller(poller), slot(poller.reserve(client)) {
    if (fd >= 0) poller.watch(slot, fd, ec);
  }
  ~Held() { release(); }
  void release() {
    if (std::exchange(held, false)) poller.release(slot);
  }
  Poller& poller;
  std::uint32_t slot;
  std::error_code ec;
  bool held = true;
};

TEST(NetPoller, ReportsInputOnAWatchedSocket) {
  EventLoop loop;
  SocketPair pair;
  RecordingClient client;
  Held held(loop.poller(), client, pair.fds[0]);
  ASSERT_FALSE(held.ec);
  EXPECT_EQ(loop.poller().registered(), 1u);
  pair.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return client.calls > 0; }, 5s));
  EXPECT_TRUE(client.last_events & EPOLLIN);
}

// Edge-triggered: nothing new, no second report, until more input arrives.
TEST(NetPoller, ReportsEachChangeOnce) {
  EventLoop loop;
  SocketPair pair;
  RecordingClient client;
  Held held(loop.poller(), client, pair.fds[0]);
  pair.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return client.calls > 0; }, 5s));
  const int after_first = client.calls;
  loop.run_for(30ms);
  EXPECT_EQ(client.calls, after_first);
  pair.send_byte();
  EXPECT_TRUE(loop.run_until([&] { return client.calls > after_first; }, 5s));
}

// Two watched sockets, made ready together so that one batch reports both.
struct TwoInOneBatch {
  void make_both_ready() {
    first_pair.send_byte();
    second_pair.send_byte();
  }
  EventLoop loop;
  SocketPair first_pair;
  SocketPair second_pair;
  RecordingClient first;
  RecordingClient second;
  Held first_held{loop.poller(), first, first_pair.fds[0]};
  Held second_held{loop.poller(), second, second_pair.fds[0]};
};

// Whichever is told first releases the other's slot, which then must not be
// called with its stale event.
TEST(NetPoller, ReleasedDuringABatchIsNotCalled) {
  TwoInOneBatch batch;
  batch.first.then = [&] { batch.second_held.release(); };
  batch.second.then = [&] { batch.first_held.release(); };
  batch.make_both_ready();
  ASSERT_TRUE(batch.loop.run_until([&] { return batch.first.calls + batch.second.calls > 0; }, 5s));
  batch.loop.run_for(30ms);
  EXPECT_EQ(batch.first.calls + batch.second.calls, 1);
}

// The slot released in the batch is taken again at once by a newcomer (the
// free list hands out the same index): the event collected for the earlier
// holder is not delivered to the newcomer.
TEST(NetPoller, AReusedSlotDoesNotGetItsEarlierHoldersEvent) {
  TwoInOneBatch batch;
  RecordingClient newcomer;
  std::unique_ptr<Held> newcomer_held;
  auto replace = [&](Held& other) {
    if (newcomer_held) return;
    const std::uint32_t freed = other.slot;
    other.release();
    newcomer_held = std::make_unique<Held>(batch.loop.poller(), newcomer);
    EXPECT_EQ(newcomer_held->slot, freed);
  };
  batch.first.then = [&] { replace(batch.second_held); };
  batch.second.then = [&] { replace(batch.first_held); };
  batch.make_both_ready();
  ASSERT_TRUE(batch.loop.run_until([&] { return batch.first.calls + batch.second.calls > 0; }, 5s));
  batch.loop.run_for(30ms);
  EXPECT_EQ(batch.first.calls + batch.second.calls, 1);
  EXPECT_EQ(newcomer.calls, 0);
}

// Released, then closed: the kernel drops the descriptor from the set; the
// slot is free, the others still report, and a new socket (often given the
// same descriptor number) is watched and reports as usual.
TEST(NetPoller, ReleasedAndClosedSocketsLeaveTheSetCleanly) {
  EventLoop loop;
  auto closing = std::make_unique<SocketPair>();
  SocketPair staying;
  RecordingClient released;
  RecordingClient other;
  Held released_held(loop.poller(), released, closing->fds[0]);
  Held other_held(loop.poller(), other, staying.fds[0]);
  ASSERT_FALSE(released_held.ec);
  ASSERT_FALSE(other_held.ec);
  closing->send_byte();
  released_held.release();
  closing.reset();
  EXPECT_EQ(loop.poller().registered(), 1u);
  staying.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return other.calls > 0; }, 5s));
  loop.run_for(30ms);
  EXPECT_EQ(released.calls, 0);

  SocketPair fresh;
  RecordingClient newcomer;
  Held fresh_held(loop.poller(), newcomer, fresh.fds[0]);
  ASSERT_FALSE(fresh_held.ec) << fresh_held.ec.message();
  fresh.send_byte();
  EXPECT_TRUE(loop.run_until([&] { return newcomer.calls > 0; }, 5s));
  EXPECT_EQ(released.calls, 0);
}

// With nothing watched the poller holds no pending work: run() returns,
// even while slots are held without a descriptor.
TEST(NetPoller, LoopRunReturnsOnceNothingIsWatched) {
  EventLoop loop;
  SocketPair pair;
  RecordingClient watching;
  RecordingClient waiting_for_a_socket;
  Held unwatched(loop.poller(), waiting_for_a_socket);
  {
    Held held(loop.poller(), watching, pair.fds[0]);
    EXPECT_EQ(loop.poller().registered(), 1u);
  }
  EXPECT_EQ(loop.poller().registered(), 0u);
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// The slots are the loop's list of clients: every holder, watched or not,
// is visited, and a released one no longer.
TEST(NetPoller, ListsTheClientsHoldingSlots) {
  EventLoop loop;
  SocketPair pair;
  RecordingClient watched;
  RecordingClient unwatched;
  RecordingClient released;
  Held watched_held(loop.poller(), watched, pair.fds[0]);
  Held unwatched_held(loop.poller(), unwatched);
  Held released_held(loop.poller(), released);
  released_held.release();
  std::vector<detail::ReadinessClient*> seen;
  loop.poller().for_each_client([&](detail::ReadinessClient& client) { seen.push_back(&client); });
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre(&watched, &unwatched));
}

// A loop destroyed while clients hold slots tells them, so that what their
// wait held (a connection's reference to itself) is released.
TEST(NetPoller, DestroyingTheLoopTellsTheClientsHoldingSlots) {
  auto loop = std::make_unique<EventLoop>();
  SocketPair pair;
  RecordingClient watched;
  RecordingClient unwatched;
  RecordingClient released;
  loop->poller().reserve(unwatched);
  std::error_code ec;
  loop->poller().watch(loop->poller().reserve(watched), pair.fds[0], ec);
  ASSERT_FALSE(ec);
  loop->poller().release(loop->poller().reserve(released));
  loop.reset();
  EXPECT_EQ(watched.gone, 1);
  EXPECT_EQ(unwatched.gone, 1);
  EXPECT_EQ(released.gone, 0);
}

// A descriptor epoll refuses: the reason is given, the slot stays held and
// unwatched, and releasing it leaves nothing behind.
TEST(NetPoller, AFailedWatchSaysWhy) {
  EventLoop loop;
  RecordingClient client;
  const std::uint32_t slot = loop.poller().reserve(client);
  std::error_code ec;
  loop.poller().watch(slot, -1, ec);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  EXPECT_EQ(loop.poller().registered(), 0u);
  loop.poller().release(slot);
  EXPECT_EQ(loop.poller().registered(), 0u);
}

}  // namespace
}  // namespace faye::net
