#include "timer_queue.hpp"

#include "faye/net/timer.hpp"

namespace faye::net {

TimerQueue::~TimerQueue() {
  for (const Entry& entry : heap_) entry.timer->heap_index_ = BasicTimer::not_armed;
}

bool TimerQueue::earlier(const Entry& a, const Entry& b) noexcept {
  if (a.deadline != b.deadline) return a.deadline < b.deadline;
  return a.sequence < b.sequence;
}

void TimerQueue::place(std::size_t index, const Entry& entry) noexcept {
  heap_[index] = entry;
  entry.timer->heap_index_ = index;
}

void TimerQueue::sift_up(std::size_t index) noexcept {
  const Entry entry = heap_[index];
  while (index > 0) {
    const std::size_t parent = (index - 1) / 2;
    if (!earlier(entry, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, entry);
}

void TimerQueue::sift_down(std::size_t index) noexcept {
  const Entry entry = heap_[index];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], entry)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, entry);
}

void TimerQueue::erase_at(std::size_t index) noexcept {
  heap_[index].timer->heap_index_ = BasicTimer::not_armed;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) return;
  place(index, last);
  if (index > 0 && earlier(last, heap_[(index - 1) / 2])) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

void TimerQueue::add(BasicTimer& timer, Clock::time_point deadline) {
  heap_.push_back({deadline, next_sequence_++, &timer});
  sift_up(heap_.size() - 1);
  if (!firing_) rearm();
}

void TimerQueue::move(BasicTimer& timer, Clock::time_point deadline) {
  const std::size_t index = timer.heap_index_;
  Entry& entry = heap_[index];
  // A later deadline (the usual restart) sinks; an earlier one rises.
  const bool later = deadline >= entry.deadline;
  entry.deadline = deadline;
  entry.sequence = next_sequence_++;
  if (later) {
    sift_down(index);
  } else {
    sift_up(index);
  }
  if (!firing_) rearm();
}

void TimerQueue::remove(BasicTimer& timer) {
  erase_at(timer.heap_index_);
  if (!firing_) rearm();
}

void TimerQueue::set_idle(bool idle) noexcept {
  if (idle == alarm_idle_) return;
  alarm_idle_ = idle;
  // Un-counting the last work stops the io_context as finishing it would;
  // EventLoop::run() restarts a stopped context.
  if (idle) {
    context_.get_executor().on_work_finished();
  } else {
    context_.get_executor().on_work_started();
  }
}

void TimerQueue::rearm() {
  if (heap_.empty()) {
    // The alarm stays where it is: it wakes the loop once for nothing, or is
    // moved by the next timer to start first.
    if (alarm_deadline_ != Clock::time_point::max()) set_idle(true);
    return;
  }
  set_idle(false);
  const Clock::time_point earliest = heap_.front().deadline;
  // An alarm due before the earliest timer (whose own timer was cancelled,
  // as most connections' linger and closing deadlines are) stays: it wakes
  // the loop once for nothing and is moved then, which costs less than
  // moving it, a timerfd system call, at every such cancel. (With no timers
  // left it stops counting as work, above, so that an idle loop's run()
  // returns.)
  if (earliest >= alarm_deadline_) return;
  // Moving the alarm cancels its pending wait; the generation tells that
  // stale completion (which may still arrive without an error) to do nothing.
  alarm_deadline_ = earliest;
  const std::uint64_t generation = ++alarm_generation_;
  alarm_.expires_at(earliest);
  alarm_.async_wait([this, generation](const std::error_code& ec) {
    // Only the latest wait can be un-counted (set_idle(false) precedes every
    // move): count it again for the scheduler to finish after this handler.
    if (generation != alarm_generation_) return;
    set_idle(false);
    alarm_deadline_ = Clock::time_point::max();
    if (!ec) fire();
  });
}

void TimerQueue::fire() {
  firing_ = true;
  const Clock::time_point now = Clock::now();
  // One at a time: a callback may start, cancel or destroy any timer,
  // including the ones due next.
  while (!heap_.empty() && heap_.front().deadline <= now) {
    BasicTimer& timer = *heap_.front().timer;
    erase_at(0);
    timer.on_timer();
  }
  firing_ = false;
  rearm();
}

}  // namespace faye::net
