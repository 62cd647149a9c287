// The URL a thread's sockets share (src/websocket/shared_url.hpp, internal).
#include "websocket/shared_url.hpp"

#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace faye::detail {
namespace {

TEST(SharedUrl, IsTheConcatenationOfItsParts) {
  const SharedUrl url = SharedUrl::make({"wss://", "example.com:8443", "/chat?room=1"});
  EXPECT_EQ(url.view(), "wss://example.com:8443/chat?room=1");
}

TEST(SharedUrl, DefaultIsEmpty) {
  const SharedUrl url;
  EXPECT_EQ(url.view(), "");
  EXPECT_EQ(url.use_count(), 0u);
}

// The common case it exists for: a server's sockets for one endpoint hold
// one copy between them.
TEST(SharedUrl, AnEqualUrlMadeNextSharesTheText) {
  const SharedUrl first = SharedUrl::make({"ws://", "127.0.0.1:8000", "/shared-1"});
  const SharedUrl second = SharedUrl::make({"ws://127.0.0.1:8000/", "shared-1"});
  EXPECT_EQ(second.view(), "ws://127.0.0.1:8000/shared-1");
  EXPECT_EQ(first.view().data(), second.view().data());
  EXPECT_EQ(first.use_count(), 3u);  // both, and the thread's last-made
}

TEST(SharedUrl, ADifferentUrlOfTheSameLengthGetsItsOwn) {
  const SharedUrl first = SharedUrl::make({"ws://", "127.0.0.1:8000", "/aaaa"});
  const SharedUrl second = SharedUrl::make({"ws://", "127.0.0.1:8000", "/aaab"});
  EXPECT_EQ(first.view(), "ws://127.0.0.1:8000/aaaa");
  EXPECT_EQ(second.view(), "ws://127.0.0.1:8000/aaab");
  EXPECT_NE(first.view().data(), second.view().data());
  EXPECT_EQ(first.use_count(), 1u);  // the thread has moved on to the second
}

// Holders keep their text however many others are made and dropped since.
TEST(SharedUrl, OutlivesTheThreadsLaterUrls) {
  SharedUrl kept = SharedUrl::make({"ws://kept.example/", "k"});
  for (int i = 0; i < 100; ++i) {
    const SharedUrl other = SharedUrl::make({"ws://other.example/", std::to_string(i)});
    EXPECT_EQ(other.view(), "ws://other.example/" + std::to_string(i));
  }
  EXPECT_EQ(kept.view(), "ws://kept.example/k");
  EXPECT_EQ(kept.use_count(), 1u);
  SharedUrl moved = std::move(kept);
  EXPECT_EQ(moved.view(), "ws://kept.example/k");
  EXPECT_EQ(kept.view(), "");  // NOLINT(bugprone-use-after-move): moved-from is empty
}

// Each thread shares with its own previous URL only.
TEST(SharedUrl, ThreadsDoNotShareTheirLastMade) {
  const SharedUrl here = SharedUrl::make({"ws://", "threads.example", "/"});
  SharedUrl there;
  std::thread([&] { there = SharedUrl::make({"ws://", "threads.example", "/"}); }).join();
  EXPECT_EQ(here.view(), there.view());
  EXPECT_NE(here.view().data(), there.view().data());
  EXPECT_EQ(there.use_count(), 1u);  // the other thread's last-made went with it
}

}  // namespace
}  // namespace faye::detail
