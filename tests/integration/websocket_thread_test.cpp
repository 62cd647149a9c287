// send(), ping() and close() from threads other than the socket's loop: the
// calls are posted to the loop, in order. Also built under ThreadSanitizer.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "faye/websocket.hpp"
#include "websocket_server_fixture.hpp"

namespace faye::test {
namespace {

TEST_F(WebSocketServerTest, SendsFromOtherThreadsInOrder) {
  constexpr int kMessages = 2000;
  std::vector<std::thread> senders;
  setup = [&](const std::shared_ptr<WebSocket>& ws) {
    ws->onopen = [&, ws](const OpenEvent&) {
      // Two threads: one sends numbered text, the other numbered binary.
      senders.emplace_back([ws] {
        for (int i = 0; i < kMessages; ++i) ws->send(std::string_view("t" + std::to_string(i)));
      });
      senders.emplace_back([ws] {
        for (int i = 0; i < kMessages; ++i) ws->send(as_bytes("b" + std::to_string(i)));
        // Reading the state and the buffer from another thread is allowed.
        (void)ws->ready_state();
        (void)ws->buffered_amount();
      });
    };
    ws->onmessage = nullptr;
  };
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ASSERT_TRUE(run_until([&] { return seen->messages.size() == 2 * kMessages; }, 30s));
  int next_text = 0, next_binary = 0;
  for (std::size_t i = 0; i < seen->messages.size(); ++i) {
    if (seen->binary[i]) {
      EXPECT_EQ(seen->messages[i], "b" + std::to_string(next_binary++));
    } else {
      EXPECT_EQ(seen->messages[i], "t" + std::to_string(next_text++));
    }
  }
  for (auto& thread : senders) thread.join();
  ws->close();
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
}

TEST_F(WebSocketServerTest, ClosesAndPingsFromAnotherThread) {
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  std::atomic<int> pongs{0};
  ASSERT_TRUE(run_until([&] { return seen->opened; }));
  std::thread other([&] {
    EXPECT_TRUE(ws->ping("from afar", [&] { ++pongs; }));
    ws->send("last words");
    ws->close(4002, "closed elsewhere");
  });
  other.join();
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
  EXPECT_EQ(pongs.load(), 1);
  // The echo arrives after our close frame left: a closing socket drops
  // messages, as the browser's does.
  EXPECT_TRUE(seen->messages.empty());
  EXPECT_EQ(seen->closed->code, 4002);
  EXPECT_EQ(seen->closed->reason, "closed elsewhere");
}

// Another thread's calls race the close: each is posted with the socket kept
// alive, or refused once the socket has finished, never run on a released
// socket; the last owner then frees it.
TEST_F(WebSocketServerTest, SendsFromAnotherThreadRaceTheClose) {
  start();
  auto ws = WebSocket::Client::connect(loop, url());
  auto seen = observe(ws);
  ASSERT_TRUE(run_until([&] { return seen->opened; }));
  std::atomic<int> sent{0};
  std::atomic<bool> refused{false};
  std::thread sender([&, socket = ws] {
    while (socket->send("x")) ++sent;
    refused = true;
  });
  ASSERT_TRUE(run_until([&] { return sent.load() > 10; }));
  ws->close();
  ASSERT_TRUE(run_until([&] { return seen->closed.has_value() && refused.load(); }));
  sender.join();
  std::thread late([socket = ws] {
    EXPECT_FALSE(socket->send("too late"));
    EXPECT_FALSE(socket->ping("too late"));
    socket->close();  // nothing left to close: a no-op
  });
  late.join();
  std::weak_ptr<WebSocket> weak = ws;
  ws.reset();
  loop.poll();
  EXPECT_TRUE(weak.expired());
}

// The application may hold its sockets anywhere and let go of them on any
// thread once they are closed; the server's loop meanwhile keeps accepting.
TEST_F(WebSocketServerTest, ClosedSocketsReleasedOnAnotherThreadWhileTheLoopAccepts) {
  std::mutex held_mutex;
  std::vector<std::shared_ptr<WebSocket>> held;
  setup = [&](const std::shared_ptr<WebSocket>& ws) {
    std::lock_guard lock(held_mutex);
    held.push_back(ws);
  };
  start();
  std::atomic<bool> done{false};
  std::thread dropper([&] {
    while (!done) {
      std::vector<std::shared_ptr<WebSocket>> closed;
      {
        std::lock_guard lock(held_mutex);
        for (auto& ws : held) {
          if (ws && ws->ready_state() == ReadyState::closed) closed.push_back(std::move(ws));
        }
        std::erase(held, nullptr);
      }
      closed.clear();  // the last owner: destroyed here, not on the loop
      std::this_thread::yield();
    }
  });
  for (int i = 0; i < 30; ++i) {
    auto ws = WebSocket::Client::connect(loop, url());
    auto seen = observe(ws);
    ws->onopen = [&](const OpenEvent&) { ws->close(); };
    ASSERT_TRUE(run_until([&] { return seen->closed.has_value(); }));
    EXPECT_TRUE(seen->closed->was_clean);
  }
  ASSERT_TRUE(server_eventually([&] {
    std::lock_guard lock(held_mutex);
    return held.empty();
  }));
  done = true;
  dropper.join();
}

}  // namespace
}  // namespace faye::test
