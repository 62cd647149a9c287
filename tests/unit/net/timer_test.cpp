#include "faye/net/timer.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <asio/executor_work_guard.hpp>

#include "faye/net/event_loop.hpp"

namespace faye::net {
namespace {

using namespace std::chrono_literals;

TEST(NetTimer, FiresOnceAfterTheDelay) {
  EventLoop loop;
  Timer timer(loop);
  int fired = 0;
  const auto start = std::chrono::steady_clock::now();
  timer.start(20ms, [&] { ++fired; });
  EXPECT_TRUE(timer.pending());
  EXPECT_TRUE(loop.run_until([&] { return fired == 1; }, 5s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
  EXPECT_FALSE(timer.pending());
  loop.run_for(30ms);
  EXPECT_EQ(fired, 1);
}

TEST(NetTimer, CancelPreventsTheCallback) {
  EventLoop loop;
  Timer timer(loop);
  bool fired = false;
  timer.start(1ms, [&] { fired = true; });
  timer.cancel();
  loop.run_for(30ms);
  EXPECT_FALSE(fired);
}

TEST(NetTimer, RestartReplacesThePendingCallback) {
  EventLoop loop;
  Timer timer(loop);
  int which = 0;
  timer.start(1ms, [&] { which = 1; });
  timer.start(5ms, [&] { which = 2; });
  EXPECT_TRUE(loop.run_until([&] { return which != 0; }, 5s));
  loop.run_for(20ms);
  EXPECT_EQ(which, 2);
}

TEST(NetTimer, DestroyedTimerNeverCalls) {
  EventLoop loop;
  bool fired = false;
  auto timer = std::make_unique<Timer>(loop);
  timer->start(1ms, [&] { fired = true; });
  timer.reset();
  loop.run_for(30ms);
  EXPECT_FALSE(fired);
}

TEST(NetTimer, CallbackMayRestartItsTimer) {
  EventLoop loop;
  Timer timer(loop);
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks < 3) timer.start(1ms, tick);
  };
  timer.start(1ms, tick);
  EXPECT_TRUE(loop.run_until([&] { return ticks == 3; }, 5s));
}

// An owner deriving from BasicTimer gets on_timer() once per start, and
// none after cancel or destruction; it may start the timer again from it.
class Ticker final : public BasicTimer {
 public:
  using BasicTimer::BasicTimer;
  int ticks = 0;
  int restarts = 0;

 private:
  void on_timer() override {
    ++ticks;
    if (restarts > 0) {
      --restarts;
      start_timer(1ms);
    }
  }
};

TEST(NetBasicTimer, CallsItsHookOncePerStart) {
  EventLoop loop;
  Ticker ticker(loop);
  ticker.start_timer(1ms);
  EXPECT_TRUE(ticker.timer_pending());
  EXPECT_TRUE(loop.run_until([&] { return ticker.ticks == 1; }, 5s));
  EXPECT_FALSE(ticker.timer_pending());
  ticker.restarts = 2;
  ticker.start_timer(1ms);
  EXPECT_TRUE(loop.run_until([&] { return ticker.ticks == 4; }, 5s));
  loop.run_for(20ms);
  EXPECT_EQ(ticker.ticks, 4);
}

TEST(NetBasicTimer, NeverCallsAfterCancelOrDestruction) {
  EventLoop loop;
  Ticker cancelled(loop);
  cancelled.start_timer(1ms);
  cancelled.cancel_timer();
  auto destroyed = std::make_unique<Ticker>(loop);
  destroyed->start_timer(1ms);
  destroyed.reset();
  Ticker witness(loop);
  witness.start_timer(5ms);
  EXPECT_TRUE(loop.run_until([&] { return witness.ticks == 1; }, 5s));
  EXPECT_EQ(cancelled.ticks, 0);
}

// Timers share one queue per loop: many timers with shuffled delays fire in
// deadline order, and those due at the same moment in the order they started.
TEST(NetTimer, ManyTimersFireInDeadlineOrder) {
  EventLoop loop;
  constexpr int count = 200;
  std::vector<std::unique_ptr<Timer>> timers;
  std::vector<int> delays(count);
  for (int i = 0; i < count; ++i) delays[i] = i % 20;  // ten timers per millisecond
  std::shuffle(delays.begin(), delays.end(), std::mt19937(7));
  std::vector<std::pair<int, int>> fired;  // (delay, start index)
  for (int i = 0; i < count; ++i) {
    timers.push_back(std::make_unique<Timer>(loop));
    timers.back()->start(std::chrono::milliseconds(delays[i]),
                         [&fired, &delays, i] { fired.emplace_back(delays[i], i); });
  }
  ASSERT_TRUE(loop.run_until([&] { return fired.size() == count; }, 5s));
  EXPECT_TRUE(std::is_sorted(fired.begin(), fired.end()));
}

TEST(NetTimer, CallbackMayCancelOrDestroyOtherDueTimers) {
  EventLoop loop;
  auto first = std::make_unique<Timer>(loop);
  auto second = std::make_unique<Timer>(loop);
  Timer third(loop);
  bool second_fired = false;
  bool third_fired = false;
  first->start(1ms, [&] {
    second.reset();  // due at the same time: destroyed before its turn
    third.cancel();
  });
  second->start(1ms, [&] { second_fired = true; });
  third.start(1ms, [&] { third_fired = true; });
  std::this_thread::sleep_for(5ms);  // all three are due when the loop wakes
  loop.run_for(20ms);
  EXPECT_FALSE(second_fired);
  EXPECT_FALSE(third_fired);
  EXPECT_FALSE(third.pending());
}

TEST(NetTimer, CancellingTheEarliestLeavesTheOthersOnTime) {
  EventLoop loop;
  Timer early(loop);
  Timer late(loop);
  bool early_fired = false;
  bool late_fired = false;
  late.start(10ms, [&] { late_fired = true; });
  early.start(1ms, [&] { early_fired = true; });
  early.cancel();
  EXPECT_TRUE(loop.run_until([&] { return late_fired; }, 5s));
  EXPECT_FALSE(early_fired);
}

// The queue leaves its alarm at a cancelled earliest deadline (one wake-up
// for nothing, no timerfd call per cancel): the timers left, and one started
// after the cancel, still fire in order and never early.
TEST(NetTimer, AStaleAlarmFiresNothingEarly) {
  EventLoop loop;
  Timer cancelled(loop);
  Timer late(loop);
  Timer middle(loop);
  std::vector<std::pair<char, std::chrono::steady_clock::duration>> fired;
  const auto start = std::chrono::steady_clock::now();
  auto record = [&](char name) { fired.emplace_back(name, std::chrono::steady_clock::now() - start); };
  late.start(60ms, [&] { record('l'); });
  cancelled.start(5ms, [&] { record('x'); });
  cancelled.cancel();
  middle.start(30ms, [&] { record('m'); });
  ASSERT_TRUE(loop.run_until([&] { return fired.size() == 2; }, 5s));
  loop.run_for(20ms);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 'm');
  EXPECT_GE(fired[0].second, 30ms);
  EXPECT_EQ(fired[1].first, 'l');
  EXPECT_GE(fired[1].second, 60ms);
}

// With no timer armed the loop holds no pending work, so run() returns.
TEST(NetTimer, IdleTimersDontKeepTheLoopRunning) {
  EventLoop loop;
  Timer timer(loop);
  timer.start(1h, [] {});
  timer.cancel();
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

// Cancelling the last armed timer while the loop runs leaves the alarm
// waiting, un-counted: run() still returns at once, and a later run() still
// serves a timer started then (due before the stale alarm, and after it).
TEST(NetTimer, RunReturnsWhenTheLastTimerIsCancelledInsideIt) {
  EventLoop loop;
  Timer timer(loop);
  loop.post([&] { timer.start(1h, [] {}); });
  loop.post([&] { timer.cancel(); });
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);

  int fired = 0;
  timer.start(10ms, [&] { ++fired; });
  loop.run();  // returns once the timer has fired and nothing is left
  EXPECT_EQ(fired, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

// A stale alarm that fires while no timer is armed wakes nothing and leaves
// the loop's count of work balanced: the timer started after it still fires
// once, and run() returns after it, then at once again.
TEST(NetTimer, AnUncountedAlarmFiringLeavesTheLoopBalanced) {
  EventLoop loop;
  Timer first(loop);
  Timer second(loop);
  bool first_fired = false;
  int second_fired = 0;
  first.start(20ms, [&] { first_fired = true; });
  first.cancel();  // the alarm stays at 20 ms, un-counted
  {
    // Other work keeps the loop running while the alarm fires for nothing.
    auto other_work = asio::make_work_guard(loop.context());
    loop.run_for(40ms);
  }
  EXPECT_FALSE(first_fired);
  second.start(10ms, [&] { ++second_fired; });
  const auto start = std::chrono::steady_clock::now();
  loop.run();
  EXPECT_EQ(second_fired, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  loop.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_FALSE(first_fired);
}

// Restarting an armed timer moves its deadline in the queue either way: an
// earlier deadline fires before a timer it now precedes, a later one after.
TEST(NetTimer, RestartMovesTheDeadlineEitherWay) {
  EventLoop loop;
  Timer moved_earlier(loop);
  Timer moved_later(loop);
  Timer fixed(loop);
  std::vector<char> order;
  moved_earlier.start(1h, [&] { order.push_back('e'); });
  moved_later.start(1ms, [&] { order.push_back('l'); });
  fixed.start(30ms, [&] { order.push_back('f'); });
  moved_earlier.start(10ms, [&] { order.push_back('e'); });
  moved_later.start(60ms, [&] { order.push_back('l'); });
  ASSERT_TRUE(loop.run_until([&] { return order.size() == 3; }, 5s));
  EXPECT_EQ(order, (std::vector<char>{'e', 'f', 'l'}));
}

// A Timer that outlives its loop (a misuse the queue tolerates) is disarmed
// with it, and destroying it later touches nothing of the loop.
TEST(NetTimer, TimerOutlivingItsLoopIsDisarmed) {
  auto loop = std::make_unique<EventLoop>();
  auto timer = std::make_unique<Timer>(*loop);
  timer->start(1h, [] {});
  loop.reset();
  EXPECT_FALSE(timer->pending());
  timer.reset();
}

}  // namespace
}  // namespace faye::net
