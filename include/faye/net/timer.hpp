// A cancellable one-shot timer on the steady clock, for timeouts and pings.
// Loop thread only. Its callback never runs after cancel(), after a restart
// with start(), or after the Timer is destroyed.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace faye::net {

class EventLoop;

class Timer {
 public:
  using Duration = std::chrono::steady_clock::duration;

  explicit Timer(EventLoop& loop);
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  // Calls `fn` once after `delay`, replacing any pending callback.
  void start(Duration delay, std::function<void()> fn);
  void cancel();
  bool pending() const noexcept;

 private:
  struct State;
  // Shared with the pending wait, so that a completion arriving after the
  // Timer is gone touches live memory and finds the callback cancelled.
  std::shared_ptr<State> state_;
};

}  // namespace faye::net
