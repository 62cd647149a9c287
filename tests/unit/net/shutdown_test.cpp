#include "faye/net/shutdown.hpp"

#include <gtest/gtest.h>

#include "faye/net/event_loop.hpp"
#include "unit/net/net_test_support.hpp"

namespace faye::net {
namespace {

using namespace test;

TEST(NetShutdown, TellsTheHandlerOfEveryOpenConnectionEachTime) {
  EventLoop loop;
  Pair one(loop);
  Pair two(loop);
  EXPECT_EQ(notify_shutdown(loop), 4u);
  for (Recorder* events : {&one.server_events, &one.client_events, &two.server_events,
                           &two.client_events}) {
    EXPECT_EQ(events->shutdowns, 1);
  }
  // Saying goodbye once is the handler's business.
  EXPECT_EQ(notify_shutdown(loop), 4u);
  EXPECT_EQ(one.server_events.shutdowns, 2);
}

TEST(NetShutdown, SkipsClosedConnectionsAndThoseWithoutAHandler) {
  EventLoop loop;
  Pair closed(loop);
  Pair detached(loop);
  closed.client->abort();
  detached.client->set_handler(nullptr);
  EXPECT_EQ(notify_shutdown(loop), 2u);
  EXPECT_EQ(closed.server_events.shutdowns, 1);
  EXPECT_EQ(closed.client_events.shutdowns, 0);
  EXPECT_EQ(detached.server_events.shutdowns, 1);
  EXPECT_EQ(detached.client_events.shutdowns, 0);
}

TEST(NetShutdown, AHandlerMayCloseAnotherConnectionBeforeItsTurn) {
  EventLoop loop;
  Pair pair(loop);
  pair.server_events.on_shutdown_hook = [&] { pair.client->abort(); };
  pair.client_events.on_shutdown_hook = [&] { pair.server->abort(); };
  // Whichever goes first closes the other, which is then skipped.
  EXPECT_EQ(notify_shutdown(loop), 1u);
  EXPECT_EQ(pair.server_events.shutdowns + pair.client_events.shutdowns, 1);
}

TEST(NetShutdown, EachLoopHasItsOwnConnections) {
  EventLoop first;
  EventLoop second;
  Pair on_first(first);
  Pair on_second(second);
  EXPECT_EQ(notify_shutdown(first), 2u);
  EXPECT_EQ(on_first.server_events.shutdowns, 1);
  EXPECT_EQ(on_second.server_events.shutdowns, 0);
  EXPECT_EQ(on_second.client_events.shutdowns, 0);
}

}  // namespace
}  // namespace faye::net
