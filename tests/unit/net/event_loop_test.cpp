#include "faye/net/event_loop.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <vector>

#include <gtest/gtest.h>
#include <asio/executor_work_guard.hpp>

namespace faye::net {
namespace {

using namespace std::chrono_literals;

TEST(NetEventLoop, RunsPostedFunctionsOnItsThread) {
  EventLoop loop;
  bool ran = false;
  bool on_thread = false;
  loop.post([&] {
    ran = true;
    on_thread = loop.on_loop_thread();
  });
  EXPECT_FALSE(loop.on_loop_thread());
  loop.run();
  EXPECT_TRUE(ran);
  EXPECT_TRUE(on_thread);
}

TEST(NetEventLoop, ExecuteRunsInlineOnTheLoopThreadAndPostsOtherwise) {
  EventLoop loop;
  std::vector<int> order;
  loop.post([&] {
    loop.execute([&] { order.push_back(1); });
    order.push_back(2);
  });
  loop.execute([&] { order.push_back(3); });  // not on the loop thread: queued
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(NetEventLoop, AcceptsPostsFromAnotherThread) {
  EventLoop loop;
  std::atomic<int> count = 0;
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) loop.post([&] { ++count; });
  });
  EXPECT_TRUE(loop.run_until([&] { return count == 1000; }, 10s));
  producer.join();
}

TEST(NetEventLoop, StopFromAnotherThreadEndsRun) {
  EventLoop loop;
  asio::executor_work_guard<asio::io_context::executor_type> work(loop.context().get_executor());
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    loop.stop();
  });
  loop.run();  // would block forever without stop()
  stopper.join();
  EXPECT_TRUE(loop.stopped());
}

TEST(NetEventLoop, RunUntilGivesUpAtTheDeadline) {
  EventLoop loop;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(loop.run_until([] { return false; }, 50ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 50ms);
}

TEST(NetEventLoop, SharesOneReadBuffer) {
  EventLoop loop({.read_buffer_size = 4096});
  const MutableBytes first = loop.read_buffer();
  EXPECT_EQ(first.size(), 4096u);
  EXPECT_EQ(loop.read_buffer().data(), first.data());
  EXPECT_EQ(EventLoop().read_buffer().size(), EventLoop::default_read_buffer_size);
}

}  // namespace
}  // namespace faye::net
