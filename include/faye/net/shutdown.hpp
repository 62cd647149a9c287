// Graceful shutdown, per event loop: long-lived connections that a server
// handed over to someone else (WebSockets, EventSources) listen here, and the
// server's stop() notifies them all so that they can say goodbye (a WebSocket
// sends 1001 Going Away) before the loop winds down.
//
// A listener is a base class of its owner, linked into its loop's list: a
// registration costs no allocation, and an idle WebSocket holds two pointers
// for it. Loop thread only: listen, stop listening and notify on the loop's
// thread.
#pragma once

#include <cstddef>

namespace faye::net {

class EventLoop;

class ShutdownListener {
 public:
  ShutdownListener() = default;
  ShutdownListener(const ShutdownListener&) = delete;
  ShutdownListener& operator=(const ShutdownListener&) = delete;

  // Registers for the next notify_shutdown(loop) (a no-op when registered).
  void listen_for_shutdown(EventLoop& loop) noexcept;
  // Unregisters (a no-op when not registered).
  void stop_listening_for_shutdown() noexcept;
  bool listening_for_shutdown() const noexcept { return prev_ != nullptr; }

 protected:
  // Unregisters.
  ~ShutdownListener() { stop_listening_for_shutdown(); }

  // Runs once per registration, already unregistered; may register again
  // (for the next notification) and may unregister other listeners.
  virtual void on_shutdown() = 0;

 private:
  friend class EventLoop;
  friend std::size_t notify_shutdown(EventLoop& loop);

  // The list is singly linked forwards; prev_ points at whatever points here
  // (the list's head or the previous listener's next_), so that unlinking
  // needs no search and works on a list that notify_shutdown() detached.
  ShutdownListener* next_ = nullptr;
  ShutdownListener** prev_ = nullptr;
};

// Notifies every listener registered on `loop` at this moment, unless one of
// them unregisters it first. Returns how many were notified.
std::size_t notify_shutdown(EventLoop& loop);

}  // namespace faye::net
