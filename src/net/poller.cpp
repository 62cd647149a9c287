#include "poller.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace faye::net {

namespace {

int create_epoll() {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
  return fd;
}

constexpr int max_events_per_call = 256;

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
  event.data.u64 = (Token{slot.generation} << 32) | index;
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

Poller::Token Poller::add(int fd, Client& client, std::error_code& ec) {
  const std::uint32_t index = reserve(client);
  const Token token = (Token{slots_[index].generation} << 32) | index;
  watch(index, fd, ec);
  if (ec) {
    release(index);
    return 0;
  }
  return token;
}

void Poller::remove(Token token, int fd) {
  unregister(token, fd);
}

void Poller::unregister(Token token, int fd) {
  const auto index = static_cast<std::uint32_t>(token);
  Slot& slot = slots_[index];
  if (slot.client == nullptr || slot.generation != static_cast<std::uint32_t>(token >> 32)) return;
  // The descriptor may already be closed (then the kernel dropped it).
  if (fd >= 0 && slot.watched) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  release(index);
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
    const int count = ::epoll_wait(epoll_fd_, events, max_events_per_call, 0);
    if (count < 0 && errno == EINTR) continue;
    for (int i = 0; i < count; ++i) {
      const Token token = events[i].data.u64;
      const Slot& slot = slots_[static_cast<std::uint32_t>(token)];
      // A client may remove others (or itself) while the batch is delivered.
      if (slot.client && slot.generation == static_cast<std::uint32_t>(token >> 32)) {
        slot.client->on_ready(events[i].events);
      }
    }
    if (count < max_events_per_call) break;
  }
}

}  // namespace faye::net
