#include "faye/net/timer.hpp"

#include <utility>

#include "faye/net/event_loop.hpp"
#include "timer_queue.hpp"

namespace faye::net {

Timer::~Timer() {
  cancel();
}

void Timer::start(Duration delay, std::function<void()> fn) {
  TimerQueue& queue = loop_->timers();
  if (pending()) queue.remove(*this);
  fn_ = std::move(fn);
  queue.add(*this, std::chrono::steady_clock::now() + delay);
}

void Timer::cancel() {
  if (pending()) loop_->timers().remove(*this);
  fn_ = nullptr;
}

}  // namespace faye::net
