// Internal: what the loop's readiness poller (src/net/poller.hpp) calls on a
// connection whose socket became ready. Not part of the public API.
#pragma once

#include <cstdint>

namespace faye::net {
class Connection;
}

namespace faye::net::detail {

class ReadinessClient {
 public:
  // The connection this client is, if it is one: the poller's clients are
  // the loop's list of connections (EventLoop::connections()).
  virtual Connection* connection() noexcept { return nullptr; }
  // `events`: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR, EPOLLHUP bits.
  virtual void on_ready(std::uint32_t events) = 0;
  // The loop is being destroyed with this client still registered: drop
  // whatever the wait held (as Asio drops a pending operation's handler).
  virtual void on_poller_gone() = 0;

 protected:
  ~ReadinessClient() = default;
};

}  // namespace faye::net::detail
