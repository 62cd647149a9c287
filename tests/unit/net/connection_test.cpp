#include "faye/net/connection.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <asio/error.hpp>

#include "faye/error.hpp"
#include "net/poller.hpp"
#include "unit/net/net_test_support.hpp"

namespace faye::net {
namespace {

using namespace test;

// What every connection costs (net/connection.hpp): on 64-bit, 120 bytes,
// 136 with make_shared's control block, one 144-byte glibc chunk.
static_assert(sizeof(void*) != 8 || sizeof(Connection) <= 104);

// A handler that echoes what it receives on its connection.
struct Echo final : Connection::Handler {
  void on_data(MutableBytes data) override { connection->write(Bytes(data)); }
  void on_closed(std::error_code ec) override { closed = ec; }
  std::shared_ptr<Connection> connection;
  std::optional<std::error_code> closed;
};

void expect_echo(const char* host) {
  EventLoop loop;
  Pair pair(loop, host);
  ASSERT_TRUE(pair.server && pair.client);
  Echo echo;
  echo.connection = pair.server;
  pair.server->set_handler(&echo);
  pair.client->write(std::string_view("hello, "));
  pair.client->write(std::string_view("world"));
  EXPECT_TRUE(loop.run_until([&] { return pair.client_events.received.size() == 12; }, kDeadline));
  EXPECT_EQ(pair.client_events.received, "hello, world");
  EXPECT_FALSE(pair.client->is_secure());
  EXPECT_EQ(pair.client->remote_endpoint().rfind(host[0] == ':' ? "[::1]:" : "127.0.0.1:", 0), 0u)
      << pair.client->remote_endpoint();
}

TEST(NetConnection, EchoesOverIPv4) {
  expect_echo("127.0.0.1");
}

TEST(NetConnection, EchoesOverIPv6) {
  expect_echo("::1");
}

TEST(NetConnection, LargeWritesArriveIntact) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  const std::string payload = pattern(16 << 20);
  pair.server->write(std::string(payload));  // owned: gathered, not copied
  pair.server->write(std::string_view("tail"));
  EXPECT_TRUE(loop.run_until(
      [&] { return pair.client_events.received.size() == payload.size() + 4; }, kDeadline));
  EXPECT_TRUE(pair.client_events.received == payload + "tail");
  EXPECT_EQ(pair.server->buffered_amount(), 0u);
}

TEST(NetConnection, CorksWritesOfOneTurnIntoOneSystemCall) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->enable_stats();
  const auto before = pair.server->stats().write_calls;
  loop.post([&] {
    for (int i = 0; i < 100; ++i) pair.server->write(std::string_view("0123456789"));
    pair.server->write(pattern(64 * 1024));  // a gathered buffer in the same writev
  });
  EXPECT_TRUE(loop.run_until([&] { return pair.client_events.received.size() == 1000 + 64 * 1024; },
                             kDeadline));
  EXPECT_EQ(pair.server->stats().write_calls - before, 1u);
}

// Bytes written in place join the turn's output in order with the others,
// whatever their size, and go out with them.
TEST(NetConnection, WritesInPlaceInOrderWithOtherWrites) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->enable_stats();
  const std::string large = pattern(256 * 1024);
  std::string expected;
  std::uint64_t calls = 0;
  auto in_place = [&](std::string_view text) {
    return pair.server->write_in_place(
        text.size(), [text](std::uint8_t* at) { std::copy(text.begin(), text.end(), at); });
  };
  loop.post([&] {
    const auto before = pair.server->stats().write_calls;
    for (int i = 0; i < 100; ++i) {
      const std::string mine = "<" + std::to_string(i) + ">";
      const std::string theirs = "(" + std::to_string(i) + ")";
      EXPECT_TRUE(in_place(mine));
      EXPECT_TRUE(pair.server->write(as_bytes(theirs)));
      expected += mine + theirs;
    }
    EXPECT_TRUE(in_place(""));
    calls = pair.server->stats().write_calls - before;
    EXPECT_TRUE(in_place(large));
    EXPECT_TRUE(in_place("end"));
    expected += large + "end";
  });
  EXPECT_TRUE(loop.run_until(
      [&] { return !expected.empty() && pair.client_events.received.size() == expected.size(); },
      kDeadline));
  EXPECT_TRUE(pair.client_events.received == expected);
  EXPECT_EQ(calls, 0u);  // they waited for the end of the turn
  EXPECT_EQ(pair.server->buffered_amount(), 0u);
}

TEST(NetConnection, WritingInPlacePastTheLimitClosesTheConnection) {
  EventLoop loop;
  Pair pair(loop, "127.0.0.1", {.write_buffer_limit = 64});
  ASSERT_TRUE(pair.server && pair.client);
  int fills = 0;
  auto fill = [&](std::uint8_t* at) {
    ++fills;
    std::fill(at, at + 60, 'x');
  };
  bool first = false, second = true, after = true;
  loop.post([&] {
    first = pair.server->write_in_place(60, fill);   // within
    second = pair.server->write_in_place(60, fill);  // 120: past it
    after = pair.server->write_in_place(60, fill);   // closed
  });
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.closed.has_value(); }, kDeadline));
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_FALSE(after);
  EXPECT_EQ(fills, 1);
  EXPECT_EQ(*pair.server_events.closed, Error::write_buffer_full);
}

TEST(NetConnection, LargeBorrowedWritesGoOutAtOnceWithWhatPrecedesThem) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  const std::string payload = pattern(256 * 1024);
  std::uint64_t calls_inside_write = 0;
  loop.post([&] {
    pair.server->enable_stats();
    const auto before = pair.server->stats().write_calls;
    pair.server->write(std::string_view("head"));
    pair.server->write(std::string_view(payload));  // a view: written through, not queued
    calls_inside_write = pair.server->stats().write_calls - before;
  });
  EXPECT_TRUE(loop.run_until(
      [&] { return pair.client_events.received.size() == payload.size() + 4; }, kDeadline));
  EXPECT_TRUE(pair.client_events.received == "head" + payload);
  EXPECT_GE(calls_inside_write, 1u);
}

TEST(NetConnection, WhatTheSocketDoesNotTakeOfABorrowedWriteIsCopiedBeforeWriteReturns) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.client->pause_reading();
  std::string payload = pattern(32 << 20);  // far beyond the socket buffers
  const std::string expected = "head" + payload + "tail";
  pair.server->write(std::string_view("head"));
  pair.server->write(std::string_view(payload));
  pair.server->write(std::string_view("tail"));
  EXPECT_GT(pair.server->buffered_amount(), 0u);
  std::fill(payload.begin(), payload.end(), 'X');  // the caller reuses its buffer at once
  pair.client->resume_reading();
  EXPECT_TRUE(loop.run_until(
      [&] { return pair.client_events.received.size() == expected.size(); }, kDeadline));
  EXPECT_TRUE(pair.client_events.received == expected);
  EXPECT_EQ(pair.server->buffered_amount(), 0u);
}

TEST(NetConnection, CorksWritesMadeWhileHandlingARead) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->enable_stats();
  pair.server_events.on_data_hook = [&](MutableBytes) {
    for (int i = 0; i < 50; ++i) pair.server->write(std::string_view("reply "));
  };
  pair.client->write(std::string_view("ping"));
  EXPECT_TRUE(loop.run_until([&] { return pair.client_events.received.size() == 300; }, kDeadline));
  EXPECT_EQ(pair.server->stats().write_calls, 1u);
}

// The counters count from enable_stats() on; before, a connection carries
// only the bit that says whether it wrote since asked.
TEST(NetConnection, CountsOnRequestAndTellsWriteProgressAlways) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  EXPECT_FALSE(pair.server->take_write_progress());
  pair.server->write(std::string_view("12345"));
  ASSERT_TRUE(loop.run_until([&] { return pair.client_events.received.size() == 5; }, kDeadline));
  EXPECT_TRUE(pair.server->take_write_progress());
  EXPECT_FALSE(pair.server->take_write_progress());  // taken
  Connection::Stats stats = pair.server->stats();
  EXPECT_EQ(stats.bytes_written, 0u);
  EXPECT_EQ(stats.write_calls, 0u);
  EXPECT_EQ(stats.flushes, 0u);

  pair.server->enable_stats();
  pair.client->write(std::string_view("abc"));
  pair.server->write(std::string_view("678"));
  ASSERT_TRUE(loop.run_until(
      [&] { return pair.client_events.received.size() == 8 && pair.server_events.received == "abc"; },
      kDeadline));
  stats = pair.server->stats();
  EXPECT_EQ(stats.bytes_read, 3u);
  EXPECT_EQ(stats.bytes_written, 3u);
  EXPECT_EQ(stats.write_calls, 1u);
  EXPECT_EQ(stats.flushes, 1u);
  EXPECT_GE(stats.read_calls, 1u);
}

// The loop lists its connections until they close (what a server's stop()
// winds down), and a connection may outlive its loop.
TEST(NetConnection, TheLoopListsItsConnectionsUntilTheyClose) {
  auto loop = std::make_unique<EventLoop>();
  EXPECT_TRUE(loop->connections().empty());
  std::shared_ptr<Connection> survivor;
  {
    Pair pair(*loop);
    ASSERT_TRUE(pair.server && pair.client);
    const auto listed = loop->connections();
    EXPECT_EQ(listed.size(), 2u);
    EXPECT_NE(std::find(listed.begin(), listed.end(), pair.server), listed.end());
    EXPECT_NE(std::find(listed.begin(), listed.end(), pair.client), listed.end());
    pair.server->abort();
    EXPECT_EQ(loop->connections(), std::vector<std::shared_ptr<Connection>>{pair.client});
    survivor = pair.client;
  }
  EXPECT_TRUE(loop->connections().empty());  // ~Pair closed the client too
  loop.reset();
  survivor.reset();
}

// A socket accepted by another server (an Asio acceptor, on the loop's
// io_context for brevity), with a raw peer at the other end.
struct ForeignAccept {
  explicit ForeignAccept(EventLoop& loop)
      : acceptor(loop.context(), {asio::ip::make_address("127.0.0.1"), 0}),
        socket(loop.context()) {
    peer.connect(acceptor.local_endpoint().port());
    acceptor.accept(socket);
  }
  asio::ip::tcp::acceptor acceptor;
  RawPeer peer;
  asio::ip::tcp::socket socket;
};

// Listed from its making, before it ever reads or waits, and without keeping
// the loop busy while it isn't started.
TEST(NetConnection, TheLoopListsAConnectionFromItsMaking) {
  EventLoop loop;
  ForeignAccept accepted(loop);
  auto connection = Connection::adopt(loop, std::move(accepted.socket), {});
  EXPECT_EQ(loop.connections(), std::vector<std::shared_ptr<Connection>>{connection});
  EXPECT_EQ(loop.poller().registered(), 0u);
  accepted.acceptor.close();
  EXPECT_EQ(loop.run_for(std::chrono::seconds(5)), 0u);  // no work: returns at once
  connection->abort();
  EXPECT_TRUE(loop.connections().empty());
  loop.poll();
}

TEST(NetConnection, ReportsBufferedAmountAndDrain) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.client->pause_reading();
  const std::size_t size = 32 << 20;  // far beyond the socket buffers
  pair.server->write(pattern(size));
  EXPECT_EQ(pair.server->buffered_amount(), size);
  loop.run_for(std::chrono::milliseconds(50));
  EXPECT_GT(pair.server->buffered_amount(), 0u);
  EXPECT_LT(pair.server->buffered_amount(), size);
  EXPECT_EQ(pair.server_events.drains, 0);
  pair.client->resume_reading();
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.drains == 1; }, kDeadline));
  EXPECT_EQ(pair.server->buffered_amount(), 0u);
  EXPECT_TRUE(
      loop.run_until([&] { return pair.client_events.received.size() == size; }, kDeadline));
}

// A connection holds a write queue only while it has bytes to send: once they
// are written it gives the queue back to the loop (where the next write of
// any connection takes it from).
TEST(NetConnection, AnIdleConnectionHoldsNoWriteQueue) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->write(std::string_view("written in one go"));
  EXPECT_TRUE(loop.run_until([&] { return pair.client_events.received.size() == 17; }, kDeadline));
  EXPECT_EQ(pair.server->buffered_amount(), 0u);
  std::unique_ptr<detail::WriteQueue> spare = loop.take_write_queue();
  EXPECT_GT(spare->chunks.capacity(), 0u);  // used, then given back
  loop.give_back_write_queue(std::move(spare));

  // And after a burst that had to wait for the peer.
  pair.client->pause_reading();
  const std::size_t size = 8 << 20;
  pair.server->write(pattern(size));
  pair.server->write(std::string_view("tail"));
  loop.run_for(std::chrono::milliseconds(30));
  ASSERT_GT(pair.server->buffered_amount(), 0u);
  // The server holds the loop's one spare meanwhile: this one is fresh.
  const std::unique_ptr<detail::WriteQueue> fresh = loop.take_write_queue();
  EXPECT_EQ(fresh->chunks.capacity(), 0u);
  pair.client->resume_reading();
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.drains == 1; }, kDeadline));
  EXPECT_EQ(pair.server->buffered_amount(), 0u);
  spare = loop.take_write_queue();
  EXPECT_GE(spare->chunks.capacity(), 2u);  // the burst's: an owned chunk, then "tail"
  EXPECT_TRUE(loop.run_until([&] { return pair.client_events.received.size() == 17 + size + 4; },
                             kDeadline));
}

TEST(NetConnection, ClosesWhenThePeerDoesNotReadPastTheLimit) {
  EventLoop loop;
  Pair pair(loop, "127.0.0.1", {.write_buffer_limit = 1 << 20});
  ASSERT_TRUE(pair.server && pair.client);
  pair.client->pause_reading();
  Timer timer(loop);
  std::function<void()> produce = [&] {
    if (pair.server->write(pattern(64 * 1024))) timer.start(std::chrono::milliseconds(1), produce);
  };
  produce();
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.closed.has_value(); }, kDeadline));
  EXPECT_EQ(*pair.server_events.closed, Error::write_buffer_full);
  EXPECT_FALSE(pair.server->is_open());
  EXPECT_EQ(pair.server_events.closes, 1);
}

// A started server connection with a raw blocking socket at the other end.
struct RawPair {
  explicit RawPair(EventLoop& loop, ConnectionOptions options = {}) : listener(loop) {
    EXPECT_FALSE(listener.listen({.host = "127.0.0.1", .connection = options},
                                 [&](auto c) { server = std::move(c); }));
    peer.connect(listener.port());
    EXPECT_TRUE(loop.run_until([&] { return server != nullptr; }, kDeadline));
    if (!server) return;
    server->set_handler(&events);
    server->start();
  }
  Listener listener;
  std::shared_ptr<Connection> server;
  RawPeer peer;
  Recorder events;
};

// More than the socket takes at once (the flush has to wait for the
// reader), queued before a close. The peer reads on another thread, then
// does `after_reading`; all of it must arrive before EOF, and the close be
// clean.
void expect_queue_flushed_by_close(EventLoop& loop, RawPair& pair, void (Connection::*close)(),
                                   const std::function<void()>& after_reading = {}) {
  const std::string payload = pattern(8 << 20);
  pair.server->write(std::string(payload));
  (pair.server.get()->*close)();
  EXPECT_FALSE(pair.server->write(std::string_view("too late")));
  std::pair<std::string, std::error_code> got;
  std::thread reader([&] {
    got = pair.peer.read_all();
    if (after_reading) after_reading();
  });
  EXPECT_TRUE(loop.run_until([&] { return pair.events.closed.has_value(); }, kDeadline));
  reader.join();
  EXPECT_EQ(got.second, asio::error::eof);
  EXPECT_TRUE(got.first == payload);
  EXPECT_FALSE(*pair.events.closed) << pair.events.closed->message();
}

TEST(NetConnection, CloseFlushesPendingDataBeforeFin) {
  EventLoop loop;
  RawPair pair(loop);
  ASSERT_TRUE(pair.server);
  expect_queue_flushed_by_close(loop, pair, &Connection::close, [&] {
    pair.peer.socket.shutdown(asio::ip::tcp::socket::shutdown_send);  // our FIN ends the linger
  });
}

TEST(NetConnection, CloseIsBoundedByTheLingerTimeout) {
  EventLoop loop;
  Pair pair(loop, "127.0.0.1", {.linger_timeout = std::chrono::milliseconds(100)});
  ASSERT_TRUE(pair.server && pair.client);
  pair.client->pause_reading();  // never sees our FIN, never sends its own
  pair.server->close();
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.closed.has_value(); }, kDeadline));
  EXPECT_FALSE(*pair.server_events.closed);
}

TEST(NetConnection, CloseAfterFlushDoesNotWaitForThePeersFin) {
  EventLoop loop;
  // Waiting for the FIN this peer never sends would outlast the deadline.
  RawPair pair(loop, {.linger_timeout = std::chrono::minutes(5)});
  ASSERT_TRUE(pair.server);
  expect_queue_flushed_by_close(loop, pair, &Connection::close_after_flush);
}

TEST(NetConnection, CloseAfterFlushIsBoundedByTheLingerTimeoutWhenThePeerDoesNotRead) {
  EventLoop loop;
  Pair pair(loop, "127.0.0.1", {.linger_timeout = std::chrono::milliseconds(100)});
  ASSERT_TRUE(pair.server && pair.client);
  pair.client->pause_reading();
  pair.server->write(pattern(8 << 20));
  pair.server->close_after_flush();
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.closed.has_value(); }, kDeadline));
  EXPECT_EQ(*pair.server_events.closed, asio::error::timed_out);
}

TEST(NetConnection, AbortResetsAtOnce) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->write(pattern(1 << 20));
  pair.server->abort();
  EXPECT_FALSE(pair.server_events.closed.has_value());  // delivered from the loop, not inline
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.closed && pair.client_events.closed; },
                             kDeadline));
  EXPECT_EQ(*pair.server_events.closed, asio::error::operation_aborted);
  EXPECT_EQ(*pair.client_events.closed, asio::error::connection_reset);
  EXPECT_TRUE(pair.client_events.received.empty());
}

TEST(NetConnection, ReportsThePeersEndOfStream) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.client->write(std::string_view("last words"));
  pair.client->close();
  EXPECT_TRUE(loop.run_until([&] { return pair.server_events.closed && pair.client_events.closed; },
                             kDeadline));
  EXPECT_EQ(pair.server_events.received, "last words");
  EXPECT_EQ(*pair.server_events.closed, asio::error::eof);
  EXPECT_FALSE(*pair.client_events.closed);
  EXPECT_EQ(pair.server_events.closes, 1);
  EXPECT_EQ(pair.client_events.closes, 1);
}

TEST(NetConnection, SurvivesAPeerResetWhileWriting) {
  EventLoop loop;
  Listener listener(loop);
  std::shared_ptr<Connection> server;
  ASSERT_FALSE(listener.listen({.host = "127.0.0.1"}, [&](auto c) { server = std::move(c); }));
  RawPeer peer;
  peer.connect(listener.port());
  ASSERT_TRUE(loop.run_until([&] { return server != nullptr; }, kDeadline));
  Recorder events;
  server->set_handler(&events);
  server->start();
  server->write(pattern(8 << 20));
  loop.run_for(std::chrono::milliseconds(20));
  peer.socket.set_option(asio::socket_base::linger(true, 0));
  peer.socket.close();
  EXPECT_TRUE(loop.run_until([&] { return events.closed.has_value(); }, kDeadline));
  EXPECT_TRUE(*events.closed == asio::error::connection_reset ||
              *events.closed == asio::error::broken_pipe)
      << events.closed->message();
  EXPECT_EQ(events.closes, 1);
}

TEST(NetConnection, NoCallbacksAfterTheHandlerIsDetached) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->set_handler(nullptr);
  pair.client->write(std::string_view("unheard"));
  pair.client->close();
  EXPECT_TRUE(loop.run_until([&] { return pair.client_events.closed.has_value(); }, kDeadline));
  loop.run_for(std::chrono::milliseconds(20));
  EXPECT_TRUE(pair.server_events.received.empty());
  EXPECT_EQ(pair.server_events.closes, 0);
}

TEST(NetConnection, PausedReadingDeliversNothingUntilResumed) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->pause_reading();
  pair.client->write(std::string_view("queued in the kernel"));
  loop.run_for(std::chrono::milliseconds(30));
  EXPECT_TRUE(pair.server_events.received.empty());
  pair.server->resume_reading();
  EXPECT_TRUE(loop.run_until([&] { return !pair.server_events.received.empty(); }, kDeadline));
  EXPECT_EQ(pair.server_events.received, "queued in the kernel");
}

// A handler that pauses inside on_data (as the HTTP server does while the
// application answers a request) leaves the connection waiting for nothing.
// After a read that emptied the socket, resuming waits for readiness rather
// than reading at once, which could only return EAGAIN.
TEST(NetConnection, ResumingAfterADrainingReadWaitsForInput) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server->enable_stats();
  pair.server_events.on_data_hook = [&](MutableBytes) { pair.server->pause_reading(); };
  pair.client->write(std::string_view("request"));
  ASSERT_TRUE(loop.run_until([&] { return pair.server_events.received == "request"; }, kDeadline));
  const std::uint64_t reads = pair.server->stats().read_calls;
  pair.server->resume_reading();
  loop.run_for(std::chrono::milliseconds(30));
  EXPECT_EQ(pair.server->stats().read_calls, reads);

  pair.client->write(std::string_view(" and more"));
  EXPECT_TRUE(
      loop.run_until([&] { return pair.server_events.received == "request and more"; }, kDeadline));
  EXPECT_EQ(pair.server->stats().read_calls, reads + 1);
}

// Input announced while reading was paused is read when it resumes.
TEST(NetConnection, ResumingReadsInputThatArrivedWhilePaused) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  pair.server_events.on_data_hook = [&](MutableBytes) { pair.server->pause_reading(); };
  pair.client->write(std::string_view("request"));
  ASSERT_TRUE(loop.run_until([&] { return pair.server_events.received == "request"; }, kDeadline));
  pair.server_events.on_data_hook = nullptr;
  pair.client->write(std::string_view(" and more"));
  loop.run_for(std::chrono::milliseconds(30));
  EXPECT_EQ(pair.server_events.received, "request");
  pair.server->resume_reading();
  EXPECT_TRUE(
      loop.run_until([&] { return pair.server_events.received == "request and more"; }, kDeadline));
}

// A connection whose owner lets go of it while nothing waits (here: paused)
// is destroyed, and leaves the loop's poller, which would otherwise keep
// waiting on its behalf and keep EventLoop::run() from returning.
TEST(NetConnection, ADroppedConnectionLeavesThePoller) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  loop.run_for(std::chrono::milliseconds(30));  // both read, then wait
  pair.server->pause_reading();
  pair.client->write(std::string_view("wakes the server up, which stops waiting"));
  loop.run_for(std::chrono::milliseconds(30));
  EXPECT_EQ(loop.poller().registered(), 2u);  // both were waiting once
  std::weak_ptr<Connection> server = pair.server;
  pair.server.reset();
  EXPECT_TRUE(server.expired());
  EXPECT_EQ(loop.poller().registered(), 1u);
}

TEST(NetConnection, AdoptDeliversAlreadyReadBytesFirst) {
  EventLoop loop;
  ForeignAccept accepted(loop);
  RawPeer& peer = accepted.peer;
  asio::write(peer.socket, asio::buffer(std::string_view(" and the rest")));
  const int fd = accepted.socket.release();  // the other server lets go of the descriptor
  std::error_code ec;
  auto connection =
      Connection::adopt(loop, fd, as_bytes("GET / HTTP/1.1\r\n\r\nbytes read early"), ec);
  ASSERT_TRUE(connection) << ec.message();
  Recorder events;
  connection->set_handler(&events);
  connection->start();
  const std::string expected = "GET / HTTP/1.1\r\n\r\nbytes read early and the rest";
  EXPECT_TRUE(loop.run_until([&] { return events.received.size() == expected.size(); }, kDeadline));
  EXPECT_EQ(events.received, expected);
  connection->write(std::string_view("reply"));
  connection->close();
  peer.socket.shutdown(asio::ip::tcp::socket::shutdown_send);
  EXPECT_TRUE(loop.run_until([&] { return events.closed.has_value(); }, kDeadline));
  EXPECT_EQ(peer.read_all().first, "reply");
}

TEST(NetConnection, AdoptRejectsANonSocket) {
  EventLoop loop;
  std::error_code ec;
  EXPECT_FALSE(Connection::adopt(loop, 0 /* stdin */, {}, ec));
  EXPECT_TRUE(ec);
  EXPECT_FALSE(Connection::adopt(loop, -1, {}, ec));
  EXPECT_TRUE(ec);
}

TEST(NetConnection, WritesPostedFromAnotherThreadArrive) {
  EventLoop loop;
  Pair pair(loop);
  ASSERT_TRUE(pair.server && pair.client);
  std::thread sender([&] {
    for (int i = 0; i < 100; ++i) {
      loop.post([&] { pair.server->write(std::string_view("x")); });
    }
  });
  EXPECT_TRUE(loop.run_until([&] { return pair.client_events.received.size() == 100; }, kDeadline));
  sender.join();
}

}  // namespace
}  // namespace faye::net
