#include "faye/net/shutdown.hpp"

#include "faye/net/event_loop.hpp"

namespace faye::net {

void ShutdownListener::listen_for_shutdown(EventLoop& loop) noexcept {
  if (prev_) return;
  ShutdownListener*& head = loop.shutdown_listeners_;
  next_ = head;
  if (next_) next_->prev_ = &next_;
  head = this;
  prev_ = &head;
}

void ShutdownListener::stop_listening_for_shutdown() noexcept {
  if (!prev_) return;
  *prev_ = next_;
  if (next_) next_->prev_ = prev_;
  next_ = nullptr;
  prev_ = nullptr;
}

std::size_t notify_shutdown(EventLoop& loop) {
  // Detached first: a listener that registers again (or a new one) waits for
  // the next notification.
  ShutdownListener* pending = loop.shutdown_listeners_;
  loop.shutdown_listeners_ = nullptr;
  if (pending) pending->prev_ = &pending;
  std::size_t notified = 0;
  // One at a time from the front: a callback may unregister any listener,
  // including the next one.
  while (ShutdownListener* listener = pending) {
    listener->stop_listening_for_shutdown();
    ++notified;
    listener->on_shutdown();
  }
  return notified;
}

}  // namespace faye::net
