// Readiness of a loop's connections, from an epoll set of the loop's own that
// Asio watches as a single descriptor. Each socket is added once,
// edge-triggered, for input and output; a wake-up delivers every ready socket
// of the batch and waits again.
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

#include <sys/epoll.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/version.hpp>
// After io_context.hpp, whose declarations it needs first.
#include <asio/detail/reactor.hpp>

#include "faye/net/readiness.hpp"

// Asio's epoll reactor with the internal interface Poller::ReactorWait uses
// (reactor_op, start_op with speculative operations), as verified with Asio
// 1.22. Other versions and reactors wait with async_wait.
#if defined(ASIO_HAS_EPOLL) && !defined(ASIO_HAS_IO_URING_AS_DEFAULT) && ASIO_VERSION / 100 == 1022
#define FAYE_NET_POLLER_HAS_REACTOR_WAIT 1
#else
#define FAYE_NET_POLLER_HAS_REACTOR_WAIT 0
#endif

namespace faye::net {

class Poller {
 public:
  using Client = detail::ReadinessClient;

  // How the poller waits for its epoll set to have events.
  enum class Waiting {
    // An operation of its own on Asio's epoll reactor that collects the
    // events when Asio reports the set readable. Waiting again is no system
    // call: the set stays registered, edge-triggered, and reports each new
    // event. Where the reactor allows (FAYE_NET_POLLER_HAS_REACTOR_WAIT),
    // else as async_wait.
    reactor,
    // stream_descriptor::async_wait(): public Asio only, at one epoll_ctl
    // (Asio re-arming the descriptor) per wait.
    async_wait,
  };

  explicit Poller(asio::io_context& context, Waiting waiting = Waiting::reactor);
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  // Tells clients still registered (on_poller_gone()).
  ~Poller();

  // How this poller waits (Waiting::async_wait where the reactor's is not available).
  Waiting waiting() const noexcept { return waiting_; }

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
  class ReactorWait;
  static constexpr int max_events_per_call = 256;

  void arm();
  void disarm();
  // Reads up to max_events_per_call ready events into events_, without
  // blocking; returns how many (or -1 with errno).
  int collect() noexcept;
  // Delivers `count` collected events, then collects and delivers more
  // while the last collection was full; waits again at the end.
  void dispatch(int count);

  int epoll_fd_ = -1;
  Waiting waiting_;
  std::optional<asio::posix::stream_descriptor> descriptor_;  // async_wait: owns epoll_fd_
#if FAYE_NET_POLLER_HAS_REACTOR_WAIT
  asio::detail::reactor* reactor_ = nullptr;  // Waiting::reactor
  asio::detail::reactor::per_descriptor_data reactor_data_ = nullptr;
#endif
  std::unique_ptr<epoll_event[]> events_;
  int collected_ = 0;  // by the reactor operation, for its completion
#if FAYE_NET_POLLER_HAS_REACTOR_WAIT
  std::unique_ptr<ReactorWait> spare_wait_;  // the last one, for the next wait
#endif
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t registered_ = 0;  // watched slots: while any, the loop waits
  std::uint64_t wait_generation_ = 0;
  bool armed_ = false;
  bool dispatching_ = false;
};

}  // namespace faye::net
