#include "faye/net/timer.hpp"

#include <utility>

#include "faye/net/event_loop.hpp"
#include "timer_queue.hpp"

namespace faye::net {

void BasicTimer::start_timer(Duration delay) {
  TimerQueue& queue = loop_->timers();
  const auto deadline = std::chrono::steady_clock::now() + delay;
  if (timer_pending()) {
    queue.move(*this, deadline);
  } else {
    queue.add(*this, deadline);
  }
}

void BasicTimer::cancel_timer() {
  if (timer_pending()) loop_->timers().remove(*this);
}

void Timer::start(Duration delay, std::function<void()> fn) {
  fn_ = std::move(fn);
  start_timer(delay);
}

void Timer::cancel() {
  cancel_timer();
  fn_ = nullptr;
}

void Timer::on_timer() {
  auto fn = std::move(fn_);
  fn_ = nullptr;
  fn();
}

}  // namespace faye::net
