#include "poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "direct_syscalls.hpp"

namespace faye::net {

namespace {

int create_epoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  return fd;
}

constexpr int max_events_per_call = 256;

// An event's tag: the slot's index, and its holder's generation so that
// events collected for an earlier holder of the slot are dropped.
std::uint64_t tag(std::uint32_t index, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | index;
}

}  // namespace

Poller::Poller(asio::io_context& context)
    : epoll_fd_(create_epoll()), descriptor_(context, epoll_fd_) {}

Poller::~Poller() {
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
  descriptor_.async_wait(asio::posix::stream_descriptor::wait_read,
                         [this, generation](const std::error_code& ec) {
                           if (ec || generation != wait_generation_) return;
                           armed_ = false;
                           dispatch();
                         });
}

// With nothing registered the loop must hold no pending work, so that
// EventLoop::run() can return.
void Poller::disarm() {
  if (!armed_) return;
  armed_ = false;
  ++wait_generation_;
  descriptor_.cancel();
}

void Poller::dispatch() {
  // Re-arms even when a client's callback throws.
  struct Rearm {
    Poller& poller;
    ~Rearm() {
      poller.dispatching_ = false;
      poller.arm();
    }
  } rearm{*this};
  dispatching_ = true;
  epoll_event events[max_events_per_call];
  for (;;) {
    const int count = direct::epoll_wait(epoll_fd_, events, max_events_per_call, 0);
    if (count < 0 && errno == EINTR) continue;
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
  }
}

}  // namespace faye::net
