#include "poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <utility>

#include "direct_syscalls.hpp"

namespace faye::net {

namespace {

int create_epoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  return fd;
}

// An event's tag: the slot's index, and its holder's generation so that
// events collected for an earlier holder of the slot are dropped.
std::uint64_t tag(std::uint32_t index, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | index;
}

}  // namespace

#if FAYE_NET_POLLER_HAS_REACTOR_WAIT
// One wait of Waiting::reactor. Its completion hands it back to the poller
// for the next wait (so a busy loop allocates none), or frees it when the
// wait was cancelled, or when the io_context destroys it unrun.
//
// Asio's async_wait asks the reactor not to perform its operation
// speculatively, and so re-arms the descriptor with epoll_ctl at every wait,
// in case the descriptor became ready unnoticed. This operation is
// speculative: started, it collects at once what is ready (an epoll_wait
// that returns immediately), and when nothing is, it is queued with no
// system call; the reactor performs it again when the set reports new
// events. After a collection that was not full the reactor skips the
// speculative attempt next time (done_and_exhausted), so a busy loop makes
// one epoll_wait of Asio's and one of ours per wake-up, and nothing else.
class Poller::ReactorWait final : public asio::detail::reactor_op {
 public:
  ReactorWait(Poller& poller, std::uint64_t generation)
      : reactor_op(asio::error_code(), &ReactorWait::perform, &ReactorWait::complete),
        poller_(poller),
        generation_(generation) {}

 private:
  static status perform(reactor_op* base) {
    Poller& poller = static_cast<ReactorWait*>(base)->poller_;
    const int count = poller.collect();
    if (count <= 0) return not_done;  // (an error: the set reports nothing either)
    poller.collected_ = count;
    return count < max_events_per_call ? done_and_exhausted : done;
  }

  // The outcome is the operation's own ec_ (operation_aborted when the
  // reactor cancelled it), not the scheduler's argument.
  static void complete(void* owner, asio::detail::scheduler_operation* base,
                       const asio::error_code&, std::size_t) {
    std::unique_ptr<ReactorWait> self(static_cast<ReactorWait*>(base));
    // Destroyed with the io_context, or cancelled (the poller may be gone).
    if (owner == nullptr || self->ec_) return;
    Poller& poller = self->poller_;
    const std::uint64_t generation = self->generation_;
    if (!poller.spare_wait_) poller.spare_wait_ = std::move(self);
    if (generation != poller.wait_generation_) return;  // cancelled, then waiting again
    poller.armed_ = false;
    poller.dispatch(std::exchange(poller.collected_, 0));
  }

  Poller& poller_;
  std::uint64_t generation_;
};
#endif

Poller::Poller(asio::io_context& context, Waiting waiting)
    : epoll_fd_(create_epoll()),
      waiting_(FAYE_NET_POLLER_HAS_REACTOR_WAIT ? waiting : Waiting::async_wait),
      events_(std::make_unique<epoll_event[]>(max_events_per_call)) {
#if FAYE_NET_POLLER_HAS_REACTOR_WAIT
  if (waiting_ == Waiting::reactor) {
    reactor_ = &asio::use_service<asio::detail::reactor>(context);
    reactor_->init_task();  // as Asio's own descriptors do: run() runs the reactor
    if (const int error = reactor_->register_descriptor(epoll_fd_, reactor_data_)) {
      ::close(epoll_fd_);
      throw std::system_error(error, std::system_category(), "registering the epoll set");
    }
    return;
  }
#endif
  descriptor_.emplace(context, epoll_fd_);
}

Poller::~Poller() {
#if FAYE_NET_POLLER_HAS_REACTOR_WAIT
  if (reactor_) {
    // A pending wait completes with operation_aborted, without this poller.
    reactor_->deregister_descriptor(epoll_fd_, reactor_data_, /*closing=*/true);
    ::close(epoll_fd_);
    reactor_->cleanup_descriptor_data(reactor_data_);
  }
#endif
  for (Slot& slot : slots_) {
    // Cleared first: the call may destroy the client.
    if (Client* client = std::exchange(slot.client, nullptr)) client->on_poller_gone();
  }
}

std::uint32_t Poller::reserve(Client& client) {
  std::uint32_t index;
  if (free_slots_.empty()) {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_slots_.back();
    free_slots_.pop_back();
  }
  slots_[index].client = &client;
  return index;
}

void Poller::watch(std::uint32_t index, int fd, std::error_code& ec) {
  ec.clear();
  Slot& slot = slots_[index];
  epoll_event event{};
  event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  event.data.u64 = tag(index, slot.generation);
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    ec = std::error_code(errno, std::system_category());
    return;
  }
  slot.watched = true;
  ++registered_;
  arm();
}

void Poller::release(std::uint32_t index) {
  Slot& slot = slots_[index];
  slot.client = nullptr;
  // Events already collected for it carry the old generation: dropped.
  ++slot.generation;
  free_slots_.push_back(index);
  if (std::exchange(slot.watched, false) && --registered_ == 0) disarm();
}

void Poller::arm() {
  if (armed_ || dispatching_ || registered_ == 0) return;
  armed_ = true;
  const std::uint64_t generation = ++wait_generation_;
#if FAYE_NET_POLLER_HAS_REACTOR_WAIT
  if (reactor_) {
    ReactorWait* wait = spare_wait_.release();
    if (wait) {
      wait->~ReactorWait();  // a fresh operation in the same storage
      new (wait) ReactorWait(*this, generation);
    } else {
      wait = new ReactorWait(*this, generation);
    }
    reactor_->start_op(asio::detail::reactor::read_op, epoll_fd_, reactor_data_, wait,
                       /*is_continuation=*/true, /*allow_speculative=*/true);
    return;
  }
#endif
  descriptor_->async_wait(asio::posix::stream_descriptor::wait_read,
                          [this, generation](const std::error_code& ec) {
                            if (ec || generation != wait_generation_) return;
                            armed_ = false;
                            dispatch(collect());
                          });
}

// With nothing registered the loop must hold no pending work, so that
// EventLoop::run() can return.
void Poller::disarm() {
  if (!armed_) return;
  armed_ = false;
  ++wait_generation_;
#if FAYE_NET_POLLER_HAS_REACTOR_WAIT
  if (reactor_) {
    reactor_->cancel_ops(epoll_fd_, reactor_data_);
    return;
  }
#endif
  descriptor_->cancel();
}

int Poller::collect() noexcept {
  for (;;) {
    const int count = direct::epoll_wait(epoll_fd_, events_.get(), max_events_per_call, 0);
    if (count >= 0 || errno != EINTR) return count;
  }
}

void Poller::dispatch(int count) {
  // Waits again even when a client's callback throws.
  struct Rearm {
    Poller& poller;
    ~Rearm() {
      poller.dispatching_ = false;
      poller.arm();
    }
  } rearm{*this};
  dispatching_ = true;
  for (;;) {
    const epoll_event* events = events_.get();
    for (int i = 0; i < count; ++i) {
      const std::uint64_t event_tag = events[i].data.u64;
      const auto index = static_cast<std::uint32_t>(event_tag);
      const Slot& slot = slots_[index];
      // A client may release others (or itself) while the batch is delivered.
      if (slot.client && event_tag == tag(index, slot.generation)) {
        slot.client->on_ready(events[i].events);
      }
    }
    if (count < max_events_per_call) break;
    count = collect();
  }
}

}  // namespace faye::net
