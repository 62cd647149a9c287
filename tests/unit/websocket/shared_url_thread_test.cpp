// A shared URL copied and dropped on several threads at once, as sockets
// made on a loop thread are released on the application's threads. Run
// under ThreadSanitizer too (faye_thread_tests_tsan).
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "websocket/shared_url.hpp"

namespace faye::detail {
namespace {

TEST(SharedUrlThreads, CopiesAreReleasedOnAnyThread) {
  std::vector<SharedUrl> handed_out;
  for (int i = 0; i < 8; ++i) handed_out.push_back(SharedUrl::make({"ws://", "race.example", "/"}));
  const char* const text = handed_out.front().view().data();
  std::vector<std::thread> threads;
  for (SharedUrl& url : handed_out) {
    threads.emplace_back([mine = std::move(url), text] {
      for (int i = 0; i < 10000; ++i) {
        SharedUrl copy = mine;
        ASSERT_EQ(copy.view().data(), text);
        ASSERT_EQ(copy.view(), "ws://race.example/");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  // Only this thread's last-made is left.
  const SharedUrl again = SharedUrl::make({"ws://", "race.example", "/"});
  EXPECT_EQ(again.view().data(), text);
  EXPECT_EQ(again.use_count(), 2u);
}

}  // namespace
}  // namespace faye::detail
