#include "faye/net/shutdown.hpp"

#include "faye/net/connection.hpp"
#include "faye/net/event_loop.hpp"

namespace faye::net {

std::size_t notify_shutdown(EventLoop& loop) {
  // A snapshot (which holds them alive): a handler may close, abort or
  // release any connection, and connections made meanwhile wait for the
  // next notification.
  std::size_t notified = 0;
  for (const auto& connection : loop.connections()) {
    if (!connection->is_open() || !connection->handler_) continue;
    ++notified;
    connection->handler_->on_shutdown();
  }
  return notified;
}

}  // namespace faye::net
