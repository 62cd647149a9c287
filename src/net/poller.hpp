// Readiness of a loop's connections, from an epoll set of the loop's own that
// Asio watches as a single descriptor. Each socket is added once,
// edge-triggered, for input and output; a wake-up delivers every ready socket
// of the batch and re-arms one Asio wait.
//
// A connection takes its slot when it is made and frees it when it closes,
// whether or not it ever waited: the slots are the loop's list of its open
// connections too, which costs a connection nothing more.
//
// Why not Asio's async_wait on each socket: in Asio 1.22 every such wait
// re-arms the socket with an epoll_ctl system call, one per connection per
// wake-up, and holds an operation object (~0.3 KiB) per idle connection.
// Here an idle connection costs a 16-byte slot, and a busy one no system call
// beyond its reads and writes.
//
// Edge-triggered: a client waits only after a read or write hit EAGAIN (or a
// plain-TCP read came back short, which means the same), so the next change
// of readiness is always reported. Loop thread only.
#pragma once

#include <cstdint>
#include <system_error>
#include <vector>

#include <asio/posix/stream_descriptor.hpp>

#include "faye/net/readiness.hpp"

namespace faye::net {

class Poller {
 public:
  using Client = detail::ReadinessClient;

  explicit Poller(asio::io_context& context);
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  // Tells clients still registered (on_poller_gone()).
  ~Poller();

  // A slot for `client`, without a descriptor yet (no system call); held
  // until release().
  std::uint32_t reserve(Client& client);
  // Watches `fd` for the client of `slot` until release(). Sets `ec` on failure.
  void watch(std::uint32_t slot, int fd, std::error_code& ec);
  // Frees `slot`: no on_ready() for it after this returns, even for events
  // already collected in the batch being delivered. Its descriptor, if
  // watched, is about to be closed (which drops it from the epoll set).
  void release(std::uint32_t slot);
  // Calls `fn(client)` for each client holding a slot.
  template <class F>
  void for_each_client(F&& fn) const {
    for (const Slot& slot : slots_) {
      if (slot.client) fn(*slot.client);
    }
  }

  // How many descriptors are watched.
  std::size_t registered() const noexcept { return registered_; }

 private:
  struct Slot {
    Client* client = nullptr;
    std::uint32_t generation = 0;  // of the slot's holder; in the events' tokens
    bool watched = false;
  };

  void arm();
  void disarm();
  void dispatch();

  int epoll_fd_ = -1;
  asio::posix::stream_descriptor descriptor_;  // owns epoll_fd_
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t registered_ = 0;  // watched slots: while any, the loop waits
  std::uint64_t wait_generation_ = 0;
  bool armed_ = false;
  bool dispatching_ = false;
};

}  // namespace faye::net
