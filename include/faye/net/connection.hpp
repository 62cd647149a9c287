// A connected byte stream (plain or TLS) on an event loop, with corked writes.
//
// Reading: the connection waits for readability, then reads until the socket
// would block into the loop's shared buffer and hands the bytes to
// Handler::on_data as one span. An idle connection holds no read buffer.
//
// Writing (the flush policy): small writes only queue, appended to one
// contiguous buffer; owned strings of at least `gather_threshold` bytes are
// queued as they are and sent with writev, never copied. Writes made during
// on_data are flushed once after the read batch; writes made anywhere else
// schedule one flush through post(), so every write of one loop turn leaves
// in a single system call when the socket accepts it. A view (Bytes) of at
// least `gather_threshold` bytes is the exception: it is sent at once, with
// what is queued before it, and only what the socket refuses is copied
// before write() returns. The queue is the loop's, lent while bytes wait to
// be written: an idle connection holds none.
//
// Lifetime: owned by shared_ptr. While it is open and reading, the pending
// wait keeps it alive; on_closed is delivered exactly once, from the loop
// (never from inside a method call), and nothing is called after it. A
// handler that dies first detaches itself with set_handler(nullptr).
//
// Threads: every method is for the loop's thread; from elsewhere use
// loop().post().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "faye/bytes.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/net/readiness.hpp"
#include "faye/net/stream.hpp"
#include "faye/net/timer.hpp"

namespace faye::net {

struct ConnectionOptions {
  // Closes the connection with faye::Error::write_buffer_full when the
  // queued bytes would exceed this. 0: no limit.
  std::size_t write_buffer_limit = 0;
  // How long close() may take to flush, send FIN and see the peer's FIN.
  std::chrono::milliseconds linger_timeout{5000};
  // Owned strings at least this long are sent from their own storage, and
  // views at least this long are sent at once from the caller's (above).
  std::size_t gather_threshold = 16 * 1024;
};

class Connection final : public std::enable_shared_from_this<Connection>,
                   private detail::ReadinessClient {
 public:
  class Handler {
   public:
    // `data` is a view of the loop's shared buffer, valid during the call only;
    // copy what must be kept. The handler may modify it in place (unmasking).
    virtual void on_data(MutableBytes data) = 0;
    // The write queue became empty after the socket had pushed back (a write
    // had to wait for writability): the moment to resume producing.
    virtual void on_drain() {}
    // The connection is closed: `ec` is empty after close() completed,
    // asio::error::eof when the peer ended it, operation_aborted after
    // abort(), faye::Error::write_buffer_full, or a socket or TLS error.
    virtual void on_closed(std::error_code ec) = 0;
    // The server that owns the loop is stopping gracefully
    // (net::notify_shutdown): a long-lived connection says goodbye now.
    virtual void on_shutdown() {}

   protected:
    ~Handler() = default;
  };

  using Options = ConnectionOptions;

  // Counters for tests and benchmarks, from enable_stats() on, so that a
  // connection doesn't carry them all its life.
  struct Stats {
    std::uint64_t bytes_read = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t read_calls = 0;   // read system calls (or SSL_read)
    std::uint64_t write_calls = 0;  // write/writev system calls (or SSL_write)
    std::uint64_t flushes = 0;      // flush passes over the queue
  };

  static std::shared_ptr<Connection> create(EventLoop& loop, std::unique_ptr<Stream> stream,
                                            Options options = {});
  // A connected, non-blocking TCP descriptor (the Listener's accept4()), owned
  // by the connection from then on.
  static std::shared_ptr<Connection> create(EventLoop& loop, int fd, Options options = {});
  // Takes over a connected TCP socket from another server (a descriptor the
  // caller no longer uses) along with the bytes it had already read past the
  // point of hand-off; those bytes come first through on_data. Returns null and
  // sets `ec` when the descriptor is not a usable socket.
  static std::shared_ptr<Connection> adopt(EventLoop& loop, Socket::native_handle_type handle,
                                           Bytes already_read, std::error_code& ec,
                                           Options options = {});
  // Same, for a socket already on this loop's io_context.
  static std::shared_ptr<Connection> adopt(EventLoop& loop, Socket socket, Bytes already_read,
                                           Options options = {});

  // For create() and std::make_shared only.
  class Key {
    friend class Connection;
    Key() = default;
  };
  Connection(Key, EventLoop& loop, std::unique_ptr<Stream> stream, Options options);
  Connection(Key, EventLoop& loop, int fd, Options options);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  void set_handler(Handler* handler) noexcept { handler_ = handler; }
  // Begins reading. Call once, after set_handler().
  void start();

  // Queue bytes (copied). Returns false when the connection is closing or
  // closed, or when the write buffer limit closed it.
  bool write(Bytes data);
  bool write(std::string_view text) { return write(as_bytes(text)); }
  // Queue `size` bytes that `fill(std::uint8_t* at)` writes in place, at the
  // end of the output gathered so far: bytes made for the peer (a frame's
  // header, a masked payload) need no buffer of their own to be copied from.
  // False, without calling `fill`, as write() would be.
  template <class Fill>
  bool write_in_place(std::size_t size, Fill&& fill) {
    if (size == 0) return state_ == State::open;
    std::uint8_t* at = make_room(size);
    if (!at) return false;
    fill(at);
    return true;
  }
  // Queue an owned payload; large ones are written from their own storage.
  bool write(std::string&& owned);
  std::size_t buffered_amount() const noexcept { return writes_ ? writes_->buffered : 0; }
  // Changes Options::write_buffer_limit, e.g. when a WebSocket with its own
  // cap takes over a connection from the HTTP server.
  void set_write_buffer_limit(std::size_t limit) noexcept { options_.write_buffer_limit = limit; }
  std::size_t write_buffer_limit() const noexcept { return options_.write_buffer_limit; }

  // Stops delivering on_data; the kernel buffers and TCP flow control push
  // back on the peer. While paused with nothing to write, nothing pending
  // holds the connection: its owner must.
  void pause_reading();
  void resume_reading();
  bool reading_paused() const noexcept { return paused_; }

  // Graceful: flush the queue, end our direction (TLS close_notify, FIN), wait
  // for the peer's FIN, close; bounded by Options::linger_timeout. No on_data
  // after close().
  void close();
  // As close(), for a peer that has said it will send nothing more (a
  // WebSocket whose closing handshake is complete): the descriptor closes as
  // soon as the queue is flushed and FIN sent, without waiting for the
  // peer's FIN, which saves a wake-up, a read and a timer per connection.
  // Should the peer send anything after all, the kernel answers with RST.
  void close_after_flush();
  // Immediate: drop the queue and reset the connection.
  void abort();
  // Neither closing nor closed.
  bool is_open() const noexcept { return state_ == State::open; }

  Socket::native_handle_type native_handle() const noexcept { return fd_; }
  // The peer's address, "127.0.0.1:1234" or "[::1]:1234" (asked of the socket,
  // not stored); empty once closed.
  std::string remote_endpoint() const;
  bool is_secure() const noexcept { return secure_; }
  EventLoop& loop() const noexcept { return loop_; }
  // Starts counting every field of Stats (zero until then).
  void enable_stats();
  Stats stats() const noexcept;
  // Whether the socket took any byte since the last call (or since it was
  // made): a server's idle timeout tells a slow reader from a stalled one by
  // it, at the cost of a bit rather than a counter.
  bool take_write_progress() noexcept {
    const bool wrote = wrote_;
    wrote_ = false;
    return wrote;
  }

 private:
  friend std::size_t notify_shutdown(EventLoop& loop);  // calls handler_->on_shutdown()
  enum class State : std::uint8_t { open, closing, lingering, closed };
  using Chunk = detail::WriteChunk;
  using WriteQueue = detail::WriteQueue;
  // What few connections need (closing, adopted input, statistics), in one
  // box allocated at the first need.
  struct Extras;

  Extras& extras();
  void read_now();
  // Readiness comes from the loop's poller (edge-triggered): wait only after
  // a read or write would block.
  void on_ready(std::uint32_t events) override;
  void on_poller_gone() override;
  Connection* connection() noexcept override { return this; }
  bool watch();  // adds the socket to the poller's epoll set, once
  void wait_readable(Wait wait);
  void on_read_error(std::error_code ec);
  void schedule_flush();
  bool write_through(Bytes data);
  bool fits(std::size_t more);
  // Room for `size` bytes at the end of the queue, for write() and
  // write_in_place(); null when the write is refused (see make_room_slowly).
  // Inline for its common case, an append to the buffer that a read batch
  // (or a posted flush) will send anyway: this runs for every small message.
  std::uint8_t* make_room(std::size_t size) {
    if (writes_ && state_ == State::open && (in_read_batch_ || flush_posted_)) {
      if (std::uint8_t* at = writes_->append_room(size, options_.write_buffer_limit)) return at;
    }
    return make_room_slowly(size);
  }
  std::uint8_t* make_room_slowly(std::size_t size);
  void flush();
  void wait_writable(Wait wait);
  void consume(std::size_t bytes);
  void begin_close(std::error_code reason);
  // Bounds the rest of the close by Options::linger_timeout.
  void arm_linger();
  // Why the close began (for on_closed): clean unless begin_close() was given
  // a reason, which then lives in Extras.
  std::error_code close_reason() const noexcept;
  // The stream's operations: a plain TCP socket has no Stream object.
  IoResult read_some(MutableBytes into);
  IoResult write_some(std::span<const asio::const_buffer> buffers);
  void shutdown_send();
  void close_descriptor() noexcept;
  void finish(std::error_code ec);
  bool queue_empty() const noexcept { return writes_ == nullptr; }
  void push_chunk(Chunk chunk);
  void pop_chunk();
  void clear_queue();

  // Options, as kept: 16 bytes instead of 24.
  struct Settings {
    explicit Settings(const Options& options) noexcept;
    std::size_t write_buffer_limit;
    std::uint32_t gather_threshold;
    std::chrono::duration<std::uint32_t, std::milli> linger_timeout;
  };

  // An idle connection is 104 bytes, 120 with make_shared's control block:
  // one 128-byte heap chunk and nothing else. Keep it so.
  EventLoop& loop_;
  Handler* handler_ = nullptr;
  std::unique_ptr<WriteQueue> writes_;  // only while bytes wait to be written
  std::unique_ptr<Extras> extras_;
  // Held while waiting for readiness, as a pending Asio wait would hold it.
  std::shared_ptr<Connection> waiting_self_;
  Settings options_;
  int fd_ = -1;
  // The poller's slot, from construction until closed (or the poller is
  // gone): it lists the connection in the loop (EventLoop::connections()).
  std::uint32_t slot_;
  State state_ = State::open;
  // Whole bytes for the flags written on every read batch; bits for the rest.
  bool read_waiting_ = false;   // waiting for the reader's readiness
  bool in_read_batch_ = false;  // inside read_now(): writes are corked
  bool write_waiting_ = false;  // waiting for the writer's readiness
  bool flush_posted_ = false;
  bool read_posted_ = false;  // a read_now() is posted
  bool slotted_ : 1 = true;   // slot_ is ours
  bool watched_ : 1 = false;  // the socket is in the poller's epoll set
  bool secure_ : 1 = false;
  bool started_ : 1 = false;
  bool paused_ : 1 = false;
  bool peer_hung_up_ : 1 = false;  // a wake-up reported the peer's FIN or an error
  // The reader waits for writability (TLS must send before it reads on);
  // else for readability.
  bool read_waits_for_output_ : 1 = false;
  // The writer waits for readability (TLS must receive before it sends on);
  // else for writability.
  bool write_waits_for_input_ : 1 = false;
  bool pushed_back_ : 1 = false;  // a flush had to wait: on_drain is due
  bool eof_received_ : 1 = false;
  bool peer_done_ : 1 = false;      // close_after_flush(): no FIN to wait for
  bool counting_ : 1 = false;       // enable_stats(): extras_->stats counts
  bool pending_input_ : 1 = false;  // adopt(): extras_->pending_input to deliver
  // TLS, or a socket that Asio kept (release_from_reactor() failed), is
  // extras_->stream; a plain TCP socket is no more than its descriptor (fd_).
  bool streamed_ : 1 = false;
  bool wrote_ : 1 = false;  // see take_write_progress()
  // The last read of plain TCP emptied the receive queue, and no readiness
  // has been reported since (see resume_reading()).
  bool drained_ : 1 = false;
};

}  // namespace faye::net
