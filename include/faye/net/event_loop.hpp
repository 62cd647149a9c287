// One event loop per thread: an asio::io_context run by a single thread, plus
// the read buffer that every connection of the loop shares.
//
// Thread rules:
//  - run(), run_for(), run_until() and poll() are called by one thread, the
//    loop's thread; every callback of every object bound to this loop
//    (Connection, Listener, Connector, Timer) runs on that thread.
//  - post(), execute(), defer() and stop() may be called from any thread.
//  - Everything else (read_buffer(), and the methods of the objects bound to
//    the loop) is for the loop's thread only; from another thread, post().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include "faye/bytes.hpp"
#include "faye/net/deferred_call.hpp"

namespace faye::net {

class Connection;
class Poller;
class TimerQueue;

namespace detail {
// Bytes queued for writing. An append is a bounds check and a copy, inline:
// it runs for every small message sent, where std::string's append (out of
// line, with a terminator to keep) cost twice as much.
class WriteBuffer {
 public:
  WriteBuffer() = default;
  WriteBuffer(WriteBuffer&& other) noexcept
      : data_(std::move(other.data_)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  WriteBuffer& operator=(WriteBuffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }

  void append(Bytes bytes) {
    if (bytes.empty()) return;
    std::memcpy(extend(bytes.size()), bytes.data(), bytes.size());
  }
  // `more` bytes more, to be written by the caller at the returned address.
  std::uint8_t* extend(std::size_t more) {
    if (capacity_ - size_ < more) grow(more);
    std::uint8_t* at = data_.get() + size_;
    size_ += more;
    return at;
  }
  bool has_room(std::size_t more) const noexcept { return capacity_ - size_ >= more; }
  void reserve(std::size_t capacity);
  void clear() noexcept { size_ = 0; }
  Bytes bytes() const noexcept { return {data_.get(), size_}; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  void grow(std::size_t more);  // room for `more` bytes beyond size()

  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

// One entry of a connection's write queue (net/connection.hpp): small writes
// appended to a buffer, a large payload owned as it was given, or the
// caller's bytes during Connection::write_through().
struct WriteChunk {
  WriteBuffer buffer;
  bool appendable = false;  // small writes may be appended to `buffer`
  std::string owned{};
  Bytes borrowed{};
  Bytes bytes() const {
    if (borrowed.data()) return borrowed;
    return owned.empty() ? buffer.bytes() : as_bytes(owned);
  }
};

// A connection's write queue, in a box of its own: a connection holds one
// only while it has bytes to send, and the loop recycles the boxes.
struct WriteQueue {
  // chunks[head ...] are unwritten, oldest first. A vector with a moving
  // head, not a deque, because an empty deque still holds ~0.5 KiB.
  std::vector<WriteChunk> chunks;
  std::size_t head = 0;
  std::size_t front_offset = 0;  // bytes of chunks[head] already written
  std::size_t buffered = 0;      // bytes not yet written, in all chunks

  // Room for `size` more bytes at the end of the last buffer, when it takes
  // appends, has that room and stays within `limit` (0: none); else null.
  std::uint8_t* append_room(std::size_t size, std::size_t limit) noexcept {
    WriteChunk& last = chunks.back();
    if (!last.appendable || !last.buffer.has_room(size) || (limit && buffered + size > limit)) {
      return nullptr;
    }
    buffered += size;
    return last.buffer.extend(size);
  }
};
}  // namespace detail

class EventLoop {
 public:
  // 512 KiB: large enough that a busy connection drains its kernel receive
  // buffer in one read, small enough to stay in L2 on a per-core loop.
  static constexpr std::size_t default_read_buffer_size = 512 * 1024;

  struct Options {
    std::size_t read_buffer_size = default_read_buffer_size;
  };

  EventLoop() : EventLoop(Options{}) {}
  explicit EventLoop(Options options);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // Runs until stop() or until no work is left (no socket, timer or posted
  // function pending). Returns the number of handlers run. Each run function
  // first clears a previous stop() so that a loop can be run again.
  std::size_t run();
  // Runs for at most `duration`; returns early on stop() or lack of work.
  std::size_t run_for(std::chrono::steady_clock::duration duration);
  // Runs until `done()` is true (checked after each handler) or the timeout
  // expires; keeps waiting even when no work is pending (another thread may
  // post). Returns done(). Meant for tests and simple clients.
  template <class Predicate>
  bool run_until(Predicate done, std::chrono::steady_clock::duration timeout);
  // Runs the handlers that are ready, without blocking.
  std::size_t poll();
  // Makes run() return as soon as possible. Thread-safe.
  void stop();
  bool stopped() const { return context_.stopped(); }

  // Queues `fn` to run on the loop's thread, never inline. Thread-safe.
  template <class F>
  void post(F&& fn) {
    asio::post(context_, std::forward<F>(fn));
  }
  // Queues `fn` to run on the loop's thread after the current handler, like
  // post(). From the loop's thread it costs no allocation and no lock: the
  // calls deferred in one turn wait in a vector behind a single posted
  // handler, which runs them in order where the first of them was queued.
  // This is how the library schedules its own follow-up work (a first read,
  // a flush, a release), several times per connection. Captures of at most
  // 48 bytes (see net/deferred_call.hpp).
  // From another thread it is post().
  template <class F>
  void defer(F&& fn) {
    if (!on_loop_thread()) {
      post(std::forward<F>(fn));
      return;
    }
    deferred_.emplace_back(std::forward<F>(fn));
    if (!drain_posted_) post_drain();
  }
  // Runs `fn` now when called on the loop's thread, else posts it.
  template <class F>
  void execute(F&& fn) {
    if (on_loop_thread()) {
      std::forward<F>(fn)();
    } else {
      post(std::forward<F>(fn));
    }
  }
  // True while the calling thread is inside one of this loop's run functions
  // (or runs context() itself). The first test is a thread-local load: this
  // is asked for every message sent, and Asio's own answer walks a
  // thread-local list.
  bool on_loop_thread() const noexcept {
    return running_here_ == this ||
           const_cast<asio::io_context&>(context_).get_executor().running_in_this_thread();
  }

  // The read buffer shared by the loop's connections, allocated on first use.
  // Its content is only valid during the callback it was passed to.
  MutableBytes read_buffer();

  // Write buffers recycled between the loop's connections, so that a busy
  // connection's output costs no allocation and an idle one holds none.
  // take_write_buffer() returns an empty buffer, with capacity when one was
  // given back.
  detail::WriteBuffer take_write_buffer();
  void give_back_write_buffer(detail::WriteBuffer&& buffer);
  // The same for the connections' write queues: an idle connection holds
  // none. take_write_queue() returns an empty queue.
  std::unique_ptr<detail::WriteQueue> take_write_queue();
  void give_back_write_queue(std::unique_ptr<detail::WriteQueue> queue);

  // The loop's connections that are not closed yet (net/connection.hpp), for
  // winding them all down as a server's stop() does. Loop thread only.
  std::vector<std::shared_ptr<Connection>> connections() const;

  asio::io_context& context() noexcept { return context_; }
  // The queue behind every Timer of this loop (internal; see net/timer.hpp).
  TimerQueue& timers();
  // The readiness poller of the loop's connections (internal; src/net/poller.hpp).
  Poller& poller();

 private:
  bool run_one_until(std::chrono::steady_clock::time_point deadline);

  // The loop whose run function the thread is in, if any: set for the
  // duration of each (nested runs restore the outer one's).
  class RunningHere;
  inline static thread_local const EventLoop* running_here_ = nullptr;
  void post_drain();
  void run_deferred();

  asio::io_context context_;
  // defer()'s queue, and its storage kept between turns.
  std::vector<detail::DeferredCall> deferred_;
  std::vector<detail::DeferredCall> deferred_spare_;
  bool drain_posted_ = false;
  std::size_t read_buffer_size_;
  std::unique_ptr<std::uint8_t[]> read_buffer_;
  std::unique_ptr<TimerQueue> timers_;
  std::unique_ptr<Poller> poller_;
  std::vector<detail::WriteBuffer> spare_write_buffers_;
  std::vector<std::unique_ptr<detail::WriteQueue>> spare_write_queues_;
};

template <class Predicate>
bool EventLoop::run_until(Predicate done, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (!run_one_until(deadline)) return done();
  }
  return true;
}

}  // namespace faye::net
