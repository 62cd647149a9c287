#include "faye/net/event_loop.hpp"

#include <algorithm>
#include <utility>

#include <asio/executor_work_guard.hpp>

#include "faye/net/connection.hpp"
#include "poller.hpp"
#include "timer_queue.hpp"

namespace faye::net {

// Concurrency hint 1: one thread runs the loop, so Asio can drop its locks.
EventLoop::EventLoop(Options options)
    : context_(1), read_buffer_size_(options.read_buffer_size ? options.read_buffer_size : 1) {}

EventLoop::~EventLoop() {
  // Deferred calls hold connections alive: they go while the loop is whole.
  { auto pending = std::move(deferred_); }
  // The poller goes with the loop's members, telling the connections still
  // open (on_poller_gone()), which then no longer reach into the loop.
}

// The open connections are the poller's clients (src/net/poller.hpp).
std::vector<std::shared_ptr<Connection>> EventLoop::connections() const {
  std::vector<std::shared_ptr<Connection>> all;
  if (!poller_) return all;
  poller_->for_each_client([&all](detail::ReadinessClient& client) {
    // Skips one whose last owner is destroying it.
    if (Connection* connection = client.connection()) {
      if (auto alive = connection->weak_from_this().lock()) all.push_back(std::move(alive));
    }
  });
  return all;
}

class EventLoop::RunningHere {
 public:
  explicit RunningHere(const EventLoop& loop) : outer_(std::exchange(running_here_, &loop)) {}
  RunningHere(const RunningHere&) = delete;
  RunningHere& operator=(const RunningHere&) = delete;
  ~RunningHere() { running_here_ = outer_; }

 private:
  const EventLoop* outer_;
};

std::size_t EventLoop::run() {
  if (context_.stopped()) context_.restart();
  RunningHere here(*this);
  return context_.run();
}

std::size_t EventLoop::run_for(std::chrono::steady_clock::duration duration) {
  if (context_.stopped()) context_.restart();
  RunningHere here(*this);
  return context_.run_for(duration);
}

std::size_t EventLoop::poll() {
  if (context_.stopped()) context_.restart();
  RunningHere here(*this);
  return context_.poll();
}

void EventLoop::stop() {
  context_.stop();
}

bool EventLoop::run_one_until(std::chrono::steady_clock::time_point deadline) {
  if (std::chrono::steady_clock::now() >= deadline) return false;
  if (context_.stopped()) context_.restart();
  // The guard keeps run_one_until() blocking while nothing is pending, so a
  // post() from another thread is still awaited.
  auto guard = asio::make_work_guard(context_);
  RunningHere here(*this);
  context_.run_one_until(deadline);
  return std::chrono::steady_clock::now() < deadline;
}

namespace {
constexpr std::size_t max_kept_deferred_calls = 1024;  // 64 KiB
}  // namespace

void EventLoop::post_drain() {
  drain_posted_ = true;
  post([this] { run_deferred(); });
}

void EventLoop::run_deferred() {
  drain_posted_ = false;
  // Calls deferred while these run go to a fresh queue, behind a new drain:
  // like posts, they wait for the handlers already queued.
  std::vector<detail::DeferredCall> batch = std::move(deferred_);
  deferred_ = std::move(deferred_spare_);
  std::size_t next = 0;
  try {
    while (next < batch.size()) batch[next++]();
  } catch (...) {
    // A call threw out of the loop (as a posted one would): the rest of the
    // batch still runs, on a later turn, ahead of what was deferred since.
    std::vector<detail::DeferredCall> rest;
    rest.reserve(batch.size() - next + deferred_.size());
    for (std::size_t i = next; i < batch.size(); ++i) rest.push_back(std::move(batch[i]));
    for (auto& call : deferred_) rest.push_back(std::move(call));
    deferred_ = std::move(rest);
    if (!deferred_.empty() && !drain_posted_) post_drain();
    throw;
  }
  batch.clear();
  // Kept for the next turn unless a burst (a server closing thousands of
  // sockets at once) made it large: the loop doesn't hoard that.
  if (batch.capacity() <= max_kept_deferred_calls) deferred_spare_ = std::move(batch);
}

TimerQueue& EventLoop::timers() {
  if (!timers_) timers_ = std::make_unique<TimerQueue>(context_);
  return *timers_;
}

// A few buffers of moderate size: enough for every connection written in one
// loop turn to reuse one, without the loop hoarding memory after a burst.
namespace {
constexpr std::size_t max_spare_write_buffers = 64;
constexpr std::size_t max_spare_write_buffer_capacity = 64 * 1024;
constexpr std::size_t min_spare_write_buffer_capacity = 1024;
}  // namespace

detail::WriteBuffer EventLoop::take_write_buffer() {
  if (spare_write_buffers_.empty()) {
    // Big enough for a handshake response or a turn of small frames, and to
    // be kept when given back: a new connection's first write then costs no
    // allocation once the loop has a few spares.
    detail::WriteBuffer fresh;
    fresh.reserve(min_spare_write_buffer_capacity);
    return fresh;
  }
  detail::WriteBuffer buffer = std::move(spare_write_buffers_.back());
  spare_write_buffers_.pop_back();
  return buffer;
}

void EventLoop::give_back_write_buffer(detail::WriteBuffer&& buffer) {
  if (buffer.capacity() > max_spare_write_buffer_capacity ||
      buffer.capacity() < min_spare_write_buffer_capacity ||
      spare_write_buffers_.size() >= max_spare_write_buffers) {
    return;
  }
  buffer.clear();
  spare_write_buffers_.push_back(std::move(buffer));
}

namespace detail {

void WriteBuffer::reserve(std::size_t capacity) {
  if (capacity <= capacity_) return;
  auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(capacity);
  if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  capacity_ = capacity;
}

void WriteBuffer::grow(std::size_t more) {
  reserve(std::max({capacity_ * 2, size_ + more, std::size_t{256}}));
}

}  // namespace detail

// Enough queues for the connections that write in one loop turn; a long
// one's storage is freed, so that a burst is not hoarded.
constexpr std::size_t max_spare_write_queues = 64;
constexpr std::size_t max_spare_write_queue_capacity = 64;

std::unique_ptr<detail::WriteQueue> EventLoop::take_write_queue() {
  if (spare_write_queues_.empty()) return std::make_unique<detail::WriteQueue>();
  std::unique_ptr<detail::WriteQueue> queue = std::move(spare_write_queues_.back());
  spare_write_queues_.pop_back();
  return queue;
}

void EventLoop::give_back_write_queue(std::unique_ptr<detail::WriteQueue> queue) {
  if (spare_write_queues_.size() >= max_spare_write_queues) return;
  queue->chunks.clear();
  if (queue->chunks.capacity() > max_spare_write_queue_capacity) {
    queue->chunks = std::vector<detail::WriteChunk>();
  }
  queue->head = 0;
  queue->front_offset = 0;
  queue->buffered = 0;
  spare_write_queues_.push_back(std::move(queue));
}

Poller& EventLoop::poller() {
  if (!poller_) poller_ = std::make_unique<Poller>(context_);
  return *poller_;
}

MutableBytes EventLoop::read_buffer() {
  if (!read_buffer_) read_buffer_.reset(new std::uint8_t[read_buffer_size_]);
  return {read_buffer_.get(), read_buffer_size_};
}

}  // namespace faye::net
