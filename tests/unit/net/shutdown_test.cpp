#include "faye/net/shutdown.hpp"

#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "faye/net/event_loop.hpp"

namespace faye::net {
namespace {

struct Listener final : ShutdownListener {
  int notified = 0;
  std::function<void()> also;
  void on_shutdown() override {
    ++notified;
    if (also) also();
  }
};

TEST(NetShutdown, NotifiesEveryListenerOnceThenForgetsThem) {
  EventLoop loop;
  Listener a, b, c;
  a.listen_for_shutdown(loop);
  b.listen_for_shutdown(loop);
  b.listen_for_shutdown(loop);  // already registered: no second entry
  c.listen_for_shutdown(loop);
  EXPECT_TRUE(b.listening_for_shutdown());
  EXPECT_EQ(notify_shutdown(loop), 3u);
  EXPECT_EQ(a.notified, 1);
  EXPECT_EQ(b.notified, 1);
  EXPECT_EQ(c.notified, 1);
  EXPECT_FALSE(b.listening_for_shutdown());
  EXPECT_EQ(notify_shutdown(loop), 0u);
}

TEST(NetShutdown, StoppedOrDestroyedListenersAreNotNotified) {
  EventLoop loop;
  Listener a, c;
  a.listen_for_shutdown(loop);
  {
    Listener b;
    b.listen_for_shutdown(loop);
  }
  c.listen_for_shutdown(loop);
  c.stop_listening_for_shutdown();
  c.stop_listening_for_shutdown();  // not registered: nothing happens
  EXPECT_EQ(notify_shutdown(loop), 1u);
  EXPECT_EQ(a.notified, 1);
  EXPECT_EQ(c.notified, 0);
}

TEST(NetShutdown, AListenerMayUnregisterOthersDuringTheNotification) {
  EventLoop loop;
  Listener first, second, third;
  // Registered last, notified first.
  third.listen_for_shutdown(loop);
  second.listen_for_shutdown(loop);
  first.listen_for_shutdown(loop);
  first.also = [&] { second.stop_listening_for_shutdown(); };
  EXPECT_EQ(notify_shutdown(loop), 2u);
  EXPECT_EQ(first.notified, 1);
  EXPECT_EQ(second.notified, 0);
  EXPECT_EQ(third.notified, 1);
}

TEST(NetShutdown, AListenerDestroyedByAnotherIsNotNotified) {
  EventLoop loop;
  Listener first;
  auto second = std::make_unique<Listener>();
  second->listen_for_shutdown(loop);
  first.listen_for_shutdown(loop);
  first.also = [&] { second.reset(); };
  EXPECT_EQ(notify_shutdown(loop), 1u);
  EXPECT_EQ(second, nullptr);
}

TEST(NetShutdown, RegisteringDuringTheNotificationWaitsForTheNextOne) {
  EventLoop loop;
  Listener a, late;
  a.listen_for_shutdown(loop);
  a.also = [&] {
    a.listen_for_shutdown(loop);
    late.listen_for_shutdown(loop);
  };
  EXPECT_EQ(notify_shutdown(loop), 1u);
  EXPECT_EQ(a.notified, 1);
  EXPECT_EQ(late.notified, 0);
  a.also = nullptr;
  EXPECT_EQ(notify_shutdown(loop), 2u);
  EXPECT_EQ(a.notified, 2);
  EXPECT_EQ(late.notified, 1);
}

TEST(NetShutdown, EachLoopHasItsOwnListeners) {
  EventLoop one, two;
  Listener a, b;
  a.listen_for_shutdown(one);
  b.listen_for_shutdown(two);
  EXPECT_EQ(notify_shutdown(one), 1u);
  EXPECT_EQ(a.notified, 1);
  EXPECT_EQ(b.notified, 0);
}

TEST(NetShutdown, AListenerMayOutliveItsLoop) {
  Listener survivor;
  {
    EventLoop loop;
    survivor.listen_for_shutdown(loop);
  }
  EXPECT_FALSE(survivor.listening_for_shutdown());
}

}  // namespace
}  // namespace faye::net
