#include "faye/net/timer.hpp"

#include <cstdint>

#include <asio/steady_timer.hpp>

#include "faye/net/event_loop.hpp"

namespace faye::net {

struct Timer::State {
  explicit State(asio::io_context& context) : timer(context) {}
  asio::steady_timer timer;
  std::uint64_t generation = 0;
  std::function<void()> fn;
};

Timer::Timer(EventLoop& loop) : state_(std::make_shared<State>(loop.context())) {}

Timer::~Timer() {
  cancel();
}

void Timer::start(Duration delay, std::function<void()> fn) {
  const std::uint64_t generation = ++state_->generation;
  state_->fn = std::move(fn);
  state_->timer.expires_after(delay);
  state_->timer.async_wait([state = state_, generation](const std::error_code& ec) {
    // A stale completion (cancelled, or superseded by a later start()) is
    // recognised by its generation even when it arrives without an error.
    if (ec || generation != state->generation || !state->fn) return;
    auto fn = std::move(state->fn);
    state->fn = nullptr;
    fn();
  });
}

void Timer::cancel() {
  ++state_->generation;
  state_->fn = nullptr;
  state_->timer.cancel();
}

bool Timer::pending() const noexcept {
  return static_cast<bool>(state_->fn);
}

}  // namespace faye::net
