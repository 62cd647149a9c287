#include "faye/net/event_loop.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
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

// Every way of running a loop makes it "on the loop thread" for what it
// runs, and only for that: not for another thread meanwhile, not for another
// loop, and not once the run is over, even when a loop runs inside another's
// handler or a run ends with an exception.
TEST(NetEventLoop, KnowsWhenTheCallerIsInsideOneOfItsRuns) {
  EventLoop outer, inner;
  std::vector<std::string> seen;
  auto note = [&](const char* where) {
    seen.push_back(std::string(where) + (outer.on_loop_thread() ? " outer" : "") +
                   (inner.on_loop_thread() ? " inner" : ""));
  };
  outer.post([&] {
    note("outer run");
    inner.post([&] { note("inner run"); });
    inner.run();
    note("after inner run");
    bool other_thread = true;
    std::thread([&] { other_thread = outer.on_loop_thread() || inner.on_loop_thread(); }).join();
    EXPECT_FALSE(other_thread);
    inner.post([&] { throw std::runtime_error("thrown"); });
    EXPECT_THROW(inner.run(), std::runtime_error);
    note("after inner throw");
  });
  outer.run();
  note("after");
  outer.post([&] { note("run_for"); });
  outer.run_for(1s);
  outer.post([&] { note("poll"); });
  outer.poll();
  outer.post([&] { note("run_until"); });
  outer.run_until([&] { return seen.size() == 8; }, 5s);
  outer.post([&] { note("context"); });  // Asio's own run: asked of Asio
  outer.context().restart();
  outer.context().run_one();
  EXPECT_EQ(seen, (std::vector<std::string>{"outer run outer", "inner run outer inner",
                                            "after inner run outer", "after inner throw outer",
                                            "after", "run_for outer", "poll outer",
                                            "run_until outer", "context outer"}));
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

TEST(NetEventLoop, DeferRunsAfterTheCurrentHandlerInOrder) {
  EventLoop loop;
  std::vector<int> order;
  loop.post([&] {
    loop.defer([&] { order.push_back(2); });
    loop.defer([&] { order.push_back(3); });
    order.push_back(1);  // never inline
  });
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(NetEventLoop, CallsDeferredInOneTurnRunWhereTheFirstWasQueued) {
  EventLoop loop;
  std::vector<int> order;
  loop.post([&] {
    loop.defer([&] {
      order.push_back(1);
      // Deferred from a deferred call: a new turn, behind what is posted.
      loop.post([&] { order.push_back(2); });
      loop.defer([&] { order.push_back(3); });
      loop.post([&] { order.push_back(5); });
      loop.defer([&] { order.push_back(4); });
    });
  });
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(NetEventLoop, DeferFromAnotherThreadIsAPost) {
  EventLoop loop;
  std::atomic<int> count = 0;
  std::atomic<bool> all_on_loop = true;
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) {
      loop.defer([&] {
        if (!loop.on_loop_thread()) all_on_loop = false;
        ++count;
      });
    }
  });
  EXPECT_TRUE(loop.run_until([&] { return count == 1000; }, 10s));
  producer.join();
  EXPECT_TRUE(all_on_loop);
}

TEST(NetEventLoop, AThrowingDeferredCallLeavesTheRestQueued) {
  EventLoop loop;
  std::vector<int> order;
  loop.post([&] {
    loop.defer([&] { order.push_back(1); });
    loop.defer([] { throw std::runtime_error("from a deferred call"); });
    loop.defer([&] { order.push_back(2); });
    loop.defer([&] {
      order.push_back(3);
      loop.defer([&] { order.push_back(4); });
    });
  });
  EXPECT_THROW(loop.run(), std::runtime_error);
  EXPECT_EQ(order, (std::vector<int>{1}));
  loop.run();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4}));
}

TEST(NetEventLoop, DestroyingTheLoopReleasesWhatDeferredCallsHold) {
  auto held = std::make_shared<int>(7);
  {
    EventLoop loop;
    loop.post([&loop, held] { loop.defer([held] {}); });
    loop.context().run_one();  // the post, not the drain it queued
    EXPECT_EQ(held.use_count(), 2);
  }
  EXPECT_EQ(held.use_count(), 1);
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

namespace faye::net {
namespace {

// The write queue's buffer: appends across growth keep every byte in order;
// a moved-from buffer is empty; the loop recycles buffers of useful size.
TEST(NetWriteBuffer, AppendsAcrossGrowthAndMovesCleanly) {
  detail::WriteBuffer buffer;
  EXPECT_EQ(buffer.size(), 0u);
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    const std::string piece(static_cast<std::size_t>(i % 37), static_cast<char>('a' + i % 26));
    buffer.append(as_bytes(piece));
    expected += piece;
  }
  EXPECT_EQ(as_text(buffer.bytes()), expected);
  EXPECT_GE(buffer.capacity(), expected.size());
  detail::WriteBuffer moved = std::move(buffer);
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.capacity(), 0u);
  EXPECT_EQ(as_text(moved.bytes()), expected);
  moved.clear();
  EXPECT_EQ(moved.size(), 0u);
  EXPECT_GE(moved.capacity(), expected.size());
}

TEST(NetWriteBuffer, TheLoopRecyclesBuffersOfUsefulSize) {
  EventLoop loop;
  detail::WriteBuffer first = loop.take_write_buffer();
  EXPECT_GE(first.capacity(), 1024u);  // room for a handshake response at once
  first.append(as_bytes(std::string_view("queued")));
  const std::uint8_t* storage = first.bytes().data();
  loop.give_back_write_buffer(std::move(first));
  detail::WriteBuffer again = loop.take_write_buffer();
  EXPECT_EQ(again.size(), 0u);
  EXPECT_EQ(again.bytes().data(), storage);  // the same storage, emptied
  detail::WriteBuffer huge;
  huge.reserve(1 << 20);
  loop.give_back_write_buffer(std::move(huge));  // too big to hoard: freed
  EXPECT_EQ(loop.take_write_buffer().capacity(), 1024u);
}

TEST(NetWriteQueue, TheLoopRecyclesQueuesEmptied) {
  EventLoop loop;
  std::unique_ptr<detail::WriteQueue> first = loop.take_write_queue();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->chunks.capacity(), 0u);  // none given back yet: a fresh one
  first->chunks.push_back({.owned = "queued"});
  first->head = 1;
  first->front_offset = 3;
  first->buffered = 3;
  const detail::WriteQueue* box = first.get();
  loop.give_back_write_queue(std::move(first));
  std::unique_ptr<detail::WriteQueue> again = loop.take_write_queue();
  EXPECT_EQ(again.get(), box);  // the same box, emptied, its vector kept
  EXPECT_TRUE(again->chunks.empty());
  EXPECT_GE(again->chunks.capacity(), 1u);
  EXPECT_EQ(again->head, 0u);
  EXPECT_EQ(again->front_offset, 0u);
  EXPECT_EQ(again->buffered, 0u);
  again->chunks.resize(1000);  // after a burst of chunks: the box kept, not the vector
  loop.give_back_write_queue(std::move(again));
  EXPECT_EQ(loop.take_write_queue()->chunks.capacity(), 0u);
}

}  // namespace
}  // namespace faye::net
