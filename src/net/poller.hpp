// Readiness of a loop's connections, from an epoll set of the loop's own that
// Asio watches as a single descriptor. Each socket is added once,
// edge-triggered, for input and output; a wake-up delivers every ready socket
// of the batch and re-arms one Asio wait.
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

  // Identifies a registration; stale events of a removed one are dropped.
  using Token = std::uint64_t;

  explicit Poller(asio::io_context& context);
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  // Tells clients still registered (on_poller_gone()).
  ~Poller();

  // Watches `fd` for `client` until remove(). Sets `ec` on failure.
  Token add(int fd, Client& client, std::error_code& ec);
  // Stops watching; no on_ready() for this registration after it returns,
  // even for events already collected in the batch being delivered.
  void remove(Token token, int fd);
  // remove() for a descriptor about to be closed (and not shared with another
  // process or descriptor): closing drops it from the epoll set, so the
  // epoll_ctl system call is saved, one per connection.
  void forget(Token token) { unregister(token, -1); }
  // The same by the slot alone (the token's low 32 bits), for a client that
  // keeps only that much of its registration and forgets nothing but its
  // own current one.
  static std::uint32_t slot_of(Token token) noexcept { return static_cast<std::uint32_t>(token); }
  void forget_slot(std::uint32_t slot) {
    unregister((Token{slots_[slot].generation} << 32) | slot, -1);
  }

 private:
  struct Slot {
    Client* client = nullptr;
    std::uint32_t generation = 0;
  };

  void unregister(Token token, int fd);  // fd < 0: no EPOLL_CTL_DEL
  void arm();
  void disarm();
  void dispatch();

  int epoll_fd_ = -1;
  asio::posix::stream_descriptor descriptor_;  // owns epoll_fd_
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t registered_ = 0;
  std::uint64_t wait_generation_ = 0;
  bool armed_ = false;
  bool dispatching_ = false;
};

}  // namespace faye::net
