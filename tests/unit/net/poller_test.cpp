// The loop's readiness poller (src/net/poller.hpp, internal): what
// net::Connection relies on beyond what its own tests show.
#include "net/poller.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
    all_events |= events;
    if (then) then();
  }
  void on_poller_gone() override { ++gone; }
  int calls = 0;
  int gone = 0;
  std::uint32_t last_events = 0;
  std::uint32_t all_events = 0;  // reported since the start
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

// Every test runs with each way of waiting (Poller::Waiting); where Asio's
// reactor wait is not available both are async_wait.
class NetPoller : public ::testing::TestWithParam<Poller::Waiting> {};

INSTANTIATE_TEST_SUITE_P(Waiting, NetPoller,
                         ::testing::Values(Poller::Waiting::reactor, Poller::Waiting::async_wait),
                         [](const auto& info) {
                           return info.param == Poller::Waiting::reactor ? "reactor" : "async_wait";
                         });

TEST_P(NetPoller, ReportsInputOnAWatchedSocket) {
  EventLoop loop;
  Poller poller(loop.context(), GetParam());
  SocketPair pair;
  RecordingClient client;
  Held held(poller, client, pair.fds[0]);
  ASSERT_FALSE(held.ec);
  EXPECT_EQ(poller.registered(), 1u);
  pair.send_byte();
  // (Writable, the socket may have been reported once already, on its own.)
  EXPECT_TRUE(loop.run_until([&] { return (client.all_events & EPOLLIN) != 0; }, 5s));
}

// Edge-triggered: nothing new, no second report, until more input arrives.
TEST_P(NetPoller, ReportsEachChangeOnce) {
  EventLoop loop;
  Poller poller(loop.context(), GetParam());
  SocketPair pair;
  RecordingClient client;
  Held held(poller, client, pair.fds[0]);
  pair.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return (client.all_events & EPOLLIN) != 0; }, 5s));
  const int after_first = client.calls;
  loop.run_for(30ms);
  EXPECT_EQ(client.calls, after_first);
  pair.send_byte();
  EXPECT_TRUE(loop.run_until([&] { return client.calls > after_first; }, 5s));
}

// Two watched sockets, made ready together so that one batch reports both.
// A third is watched first, so that the poller is already waiting when they
// join (Waiting::reactor collects what is ready when it starts to wait).
struct TwoInOneBatch {
  explicit TwoInOneBatch(Poller::Waiting waiting) : poller(loop.context(), waiting) {}
  void make_both_ready() {
    first_pair.send_byte();
    second_pair.send_byte();
  }
  EventLoop loop;
  Poller poller;
  SocketPair anchor_pair;
  RecordingClient anchor;
  Held anchor_held{poller, anchor, anchor_pair.fds[0]};
  SocketPair first_pair;
  SocketPair second_pair;
  RecordingClient first;
  RecordingClient second;
  Held first_held{poller, first, first_pair.fds[0]};
  Held second_held{poller, second, second_pair.fds[0]};
};

// Whichever is told first releases the other's slot, which then must not be
// called with its stale event.
TEST_P(NetPoller, ReleasedDuringABatchIsNotCalled) {
  TwoInOneBatch batch(GetParam());
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
TEST_P(NetPoller, AReusedSlotDoesNotGetItsEarlierHoldersEvent) {
  TwoInOneBatch batch(GetParam());
  RecordingClient newcomer;
  std::unique_ptr<Held> newcomer_held;
  auto replace = [&](Held& other) {
    if (newcomer_held) return;
    const std::uint32_t freed = other.slot;
    other.release();
    newcomer_held = std::make_unique<Held>(batch.poller, newcomer);
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
TEST_P(NetPoller, ReleasedAndClosedSocketsLeaveTheSetCleanly) {
  EventLoop loop;
  Poller poller(loop.context(), GetParam());
  auto closing = std::make_unique<SocketPair>();
  SocketPair staying;
  RecordingClient released;
  RecordingClient other;
  Held released_held(poller, released, closing->fds[0]);
  Held other_held(poller, other, staying.fds[0]);
  ASSERT_FALSE(released_held.ec);
  ASSERT_FALSE(other_held.ec);
  closing->send_byte();
  released_held.release();
  closing.reset();
  EXPECT_EQ(poller.registered(), 1u);
  staying.send_byte();
  ASSERT_TRUE(loop.run_until([&] { return other.calls > 0; }, 5s));
  loop.run_for(30ms);
  EXPECT_EQ(released.calls, 0);

  SocketPair fresh;
  RecordingClient newcomer;
  Held fresh_held(poller, newcomer, fresh.fds[0]);
  ASSERT_FALSE(fresh_held.ec) << fresh_held.ec.message();
  fresh.send_byte();
  EXPECT_TRUE(loop.run_until([&] { return newcomer.calls > 0; }, 5s));
  EXPECT_EQ(released.calls, 0);
}

// With nothing watched the poller holds no pending work: run() returns,
// even while slots are held without a descriptor.
TEST_P(NetPoller, LoopRunReturnsOnceNothingIsWatched) {
  EventLoop loop;
  Poller poller(loop.context(), GetParam());
  SocketPair pair;
  RecordingClient watching;
  RecordingClient waiting_for_a_socket;
  Held unwatched(poller, waiting_for_a_socket);
  {
    Held held(poller, watching, pair.fds[0]);
    EXPECT_EQ(poller.registered(), 1u);
  }
  EXPECT_EQ(poller.registered(), 0u);
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

// The slots are the loop's list of clients: every holder, watched or not,
// is visited, and a released one no longer.
TEST_P(NetPoller, ListsTheClientsHoldingSlots) {
  EventLoop loop;
  Poller poller(loop.context(), GetParam());
  SocketPair pair;
  RecordingClient watched;
  RecordingClient unwatched;
  RecordingClient released;
  Held watched_held(poller, watched, pair.fds[0]);
  Held unwatched_held(poller, unwatched);
  Held released_held(poller, released);
  released_held.release();
  std::vector<detail::ReadinessClient*> seen;
  poller.for_each_client([&](detail::ReadinessClient& client) { seen.push_back(&client); });
  EXPECT_THAT(seen, ::testing::UnorderedElementsAre(&watched, &unwatched));
}

// A loop destroyed while clients hold slots tells them, so that what their
// wait held (a connection's reference to itself) is released.
TEST(NetPollerOfALoop, DestroyingTheLoopTellsTheClientsHoldingSlots) {
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

// A loop's poller waits on Asio's reactor wherever that is available.
TEST(NetPollerOfALoop, WaitsOnTheReactorWhereAvailable) {
  EventLoop loop;
  EXPECT_EQ(loop.poller().waiting(), FAYE_NET_POLLER_HAS_REACTOR_WAIT
                                         ? Poller::Waiting::reactor
                                         : Poller::Waiting::async_wait);
#if defined(__linux__) && ASIO_VERSION / 100 == 1022
  EXPECT_EQ(loop.poller().waiting(), Poller::Waiting::reactor);  // as on Debian 12
#endif
}

// A poller destroyed while it waits, on a loop that lives on: its pending
// wait ends without it (under ASan, any use of the dead poller would show),
// and the loop runs to completion.
TEST_P(NetPoller, DestroyedWhileWaitingLeavesTheLoopRunnable) {
  EventLoop loop;
  auto poller = std::make_unique<Poller>(loop.context(), GetParam());
  SocketPair pair;
  RecordingClient client;
  std::error_code ec;
  poller->watch(poller->reserve(client), pair.fds[0], ec);
  ASSERT_FALSE(ec);
  ASSERT_TRUE(loop.run_until([&] { return client.calls > 0; }, 5s));  // writable: waits again
  const int calls = client.calls;
  pair.send_byte();
  poller.reset();
  EXPECT_EQ(client.gone, 1);
  const auto start = std::chrono::steady_clock::now();
  loop.run_for(5s);  // returns as soon as no work is left
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_EQ(client.calls, calls);
}

// More ready sockets than one collection takes (256): every one is reported
// in the same wake-up, and each again when it changes again.
TEST_P(NetPoller, ReportsMoreReadySocketsThanOneCollectionHolds) {
  EventLoop loop;
  Poller poller(loop.context(), GetParam());
  constexpr int kSockets = 300;  // 600 descriptors: within a default limit of 1024
  std::vector<std::unique_ptr<SocketPair>> pairs;
  std::vector<std::unique_ptr<RecordingClient>> clients;
  std::vector<std::unique_ptr<Held>> held;
  for (int i = 0; i < kSockets; ++i) {
    pairs.push_back(std::make_unique<SocketPair>());
    clients.push_back(std::make_unique<RecordingClient>());
    held.push_back(std::make_unique<Held>(poller, *clients.back(), pairs.back()->fds[0]));
    ASSERT_FALSE(held.back()->ec) << held.back()->ec.message();
  }
  auto all_called = [&](int times) {
    return std::all_of(clients.begin(), clients.end(),
                       [times](const auto& client) { return client->calls >= times; });
  };
  // Writable from the start: each reports once when watched.
  ASSERT_TRUE(loop.run_until([&] { return all_called(1); }, 5s));
  for (auto& pair : pairs) pair->send_byte();
  EXPECT_TRUE(loop.run_until([&] { return all_called(2); }, 5s));
}

// A descriptor epoll refuses: the reason is given, the slot stays held and
// unwatched, and releasing it leaves nothing behind.
TEST_P(NetPoller, AFailedWatchSaysWhy) {
  EventLoop loop;
  Poller poller(loop.context(), GetParam());
  RecordingClient client;
  const std::uint32_t slot = poller.reserve(client);
  std::error_code ec;
  poller.watch(slot, -1, ec);
  EXPECT_EQ(ec, std::errc::bad_file_descriptor);
  EXPECT_EQ(poller.registered(), 0u);
  poller.release(slot);
  EXPECT_EQ(poller.registered(), 0u);
}

}  // namespace
}  // namespace faye::net
