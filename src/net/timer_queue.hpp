// The timers of one loop: a binary min-heap of armed timers ordered by
// deadline (then by start order), served by a single asio::steady_timer set to
// the earliest deadline. A timer costs no allocation and no Asio operation of
// its own, so that thousands of idle connections, each with a few timers
// (linger, close timeout, ping), hold nothing but the timer objects.
// Loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <asio/steady_timer.hpp>

namespace faye::net {

class BasicTimer;

class TimerQueue {
 public:
  using Clock = std::chrono::steady_clock;

  explicit TimerQueue(asio::io_context& context) : context_(context), alarm_(context) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  // Timers still armed when their loop goes are disarmed, so that destroying
  // them afterwards doesn't reach back into the loop.
  ~TimerQueue();

  // Arms `timer` (not already armed) for `deadline`.
  void add(BasicTimer& timer, Clock::time_point deadline);
  // Moves the deadline of `timer` (armed), as a remove and an add would.
  void move(BasicTimer& timer, Clock::time_point deadline);
  // Disarms `timer` (armed).
  void remove(BasicTimer& timer);

 private:
  struct Entry {
    Clock::time_point deadline;
    std::uint64_t sequence;  // start order, for timers due at the same time
    BasicTimer* timer;
  };

  static bool earlier(const Entry& a, const Entry& b) noexcept;
  void place(std::size_t index, const Entry& entry) noexcept;
  void sift_up(std::size_t index) noexcept;
  void sift_down(std::size_t index) noexcept;
  void erase_at(std::size_t index) noexcept;
  // Points the alarm at the earliest deadline. With no timer armed the alarm
  // is left waiting but no longer counts as the loop's work (set_idle()), so
  // that an idle loop's run() returns all the same.
  void rearm();
  void fire();
  // Whether the pending alarm counts as work of the io_context. Most timers
  // are cancelled soon after they start (a request's deadline, once it has
  // arrived), often leaving none armed until the next turn starts another:
  // cancelling and re-arming the alarm each time cost an Asio timer
  // operation, a cancellation handler and a new wait (~500 instructions a
  // connection); un-counting it is two atomic operations.
  void set_idle(bool idle) noexcept;

  asio::io_context& context_;
  asio::steady_timer alarm_;
  std::vector<Entry> heap_;
  Clock::time_point alarm_deadline_ = Clock::time_point::max();  // max: no wait pending
  std::uint64_t alarm_generation_ = 0;
  std::uint64_t next_sequence_ = 0;
  bool firing_ = false;
  bool alarm_idle_ = false;  // the pending wait was un-counted (set_idle)
};

}  // namespace faye::net
