#include "faye/net/timer.hpp"

#include <chrono>
#include <memory>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace faye::net
