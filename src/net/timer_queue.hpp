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

  explicit TimerQueue(asio::io_context& context) : alarm_(context) {}
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;
  // Timers still armed when their loop goes are disarmed, so that destroying
  // them afterwards doesn't reach back into the loop.
  ~TimerQueue();

  // Arms `timer` (not already armed) for `deadline`.
  void add(BasicTimer& timer, Clock::time_point deadline);
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
  // Points the alarm at the earliest deadline, or cancels it when no timer is
  // armed so that an idle loop has no pending work and run() can return.
  void rearm();
  void fire();

  asio::steady_timer alarm_;
  std::vector<Entry> heap_;
  Clock::time_point alarm_deadline_ = Clock::time_point::max();
  std::uint64_t alarm_generation_ = 0;
  std::uint64_t next_sequence_ = 0;
  bool firing_ = false;
};

}  // namespace faye::net
