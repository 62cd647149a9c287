// A thin epoll wrapper for the raw engines: level-triggered, one 64-bit
// token per descriptor (the connection's index).
#pragma once

#include <sys/epoll.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>

namespace faye::load {

class Poller {
 public:
  Poller() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (fd_ < 0) throw std::runtime_error("epoll_create1 failed");
  }
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  ~Poller() { ::close(fd_); }

  void add(int fd, std::uint32_t events, std::uint64_t token) { control(EPOLL_CTL_ADD, fd, events, token); }
  void modify(int fd, std::uint32_t events, std::uint64_t token) { control(EPOLL_CTL_MOD, fd, events, token); }
  // Closing a descriptor removes it too; this is for descriptors kept open.
  void remove(int fd) { ::epoll_ctl(fd_, EPOLL_CTL_DEL, fd, nullptr); }
  int wait(epoll_event* events, int capacity, int timeout_ms) {
    const int ready = ::epoll_wait(fd_, events, capacity, timeout_ms);
    return ready < 0 ? 0 : ready;  // EINTR: just a turn with nothing ready
  }

 private:
  void control(int operation, int fd, std::uint32_t events, std::uint64_t token) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = token;
    ::epoll_ctl(fd_, operation, fd, &event);
  }

  int fd_;
};

}  // namespace faye::load
