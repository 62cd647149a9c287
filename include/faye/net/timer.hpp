// A cancellable one-shot timer on the steady clock, for timeouts and pings.
// Loop thread only. Its callback never runs after cancel(), after a restart
// with start(), or after the Timer is destroyed.
//
// Timers are entries in their loop's timer queue (one Asio timer per loop),
// so an armed or idle Timer allocates nothing. Destroy a Timer before its
// EventLoop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace faye::net {

class EventLoop;
class TimerQueue;

class Timer {
 public:
  using Duration = std::chrono::steady_clock::duration;

  explicit Timer(EventLoop& loop) noexcept : loop_(&loop) {}
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  // Calls `fn` once after `delay`, replacing any pending callback.
  void start(Duration delay, std::function<void()> fn);
  void cancel();
  bool pending() const noexcept { return heap_index_ != not_armed; }
  EventLoop& loop() const noexcept { return *loop_; }

 private:
  friend class TimerQueue;
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);

  // The deadline lives in the queue's heap entry: an idle Timer is 48 bytes.
  EventLoop* loop_;
  std::function<void()> fn_;
  std::size_t heap_index_ = not_armed;
};

}  // namespace faye::net
