// Cancellable one-shot timers on the steady clock, for timeouts and pings.
// Loop thread only. A timer's callback never runs after it is cancelled,
// restarted or destroyed.
//
// Timers are entries in their loop's timer queue (one Asio timer per loop),
// so an armed or idle timer allocates nothing. Destroy a timer before its
// EventLoop.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace faye::net {

class EventLoop;
class TimerQueue;

// A timer whose expiry calls the virtual on_timer() of the class deriving
// from it: 24 bytes, for an owner that keeps one timer all its life and can
// tell its purposes apart itself (a WebSocket's ping, handshake and close
// deadlines). Timer, below, is the same with a callback per start().
class BasicTimer {
 public:
  using Duration = std::chrono::steady_clock::duration;

  explicit BasicTimer(EventLoop& loop) noexcept : loop_(&loop) {}
  BasicTimer(const BasicTimer&) = delete;
  BasicTimer& operator=(const BasicTimer&) = delete;

  // Calls on_timer() once after `delay`, replacing any pending expiry.
  void start_timer(Duration delay);
  void cancel_timer();
  bool timer_pending() const noexcept { return heap_index_ != not_armed; }
  EventLoop& loop() const noexcept { return *loop_; }

 protected:
  ~BasicTimer() { cancel_timer(); }

  // Runs once per start_timer(), already disarmed; may start the timer again.
  virtual void on_timer() = 0;

 private:
  friend class TimerQueue;
  static constexpr std::size_t not_armed = static_cast<std::size_t>(-1);

  // The deadline lives in the queue's heap entry.
  EventLoop* loop_;
  std::size_t heap_index_ = not_armed;
};

class Timer final : private BasicTimer {
 public:
  using BasicTimer::Duration;

  explicit Timer(EventLoop& loop) noexcept : BasicTimer(loop) {}

  // Calls `fn` once after `delay`, replacing any pending callback.
  void start(Duration delay, std::function<void()> fn);
  void cancel();
  bool pending() const noexcept { return timer_pending(); }
  using BasicTimer::loop;

 private:
  void on_timer() override;

  std::function<void()> fn_;
};

}  // namespace faye::net
