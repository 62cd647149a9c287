// recv, send, sendmsg and epoll_wait without glibc's cancellation-point
// wrappers.
//
// Each of those calls is a POSIX cancellation point, so once a process has a
// second thread glibc brackets it with two atomic operations on the calling
// thread's cancellation state: about 1.5% of the CPU time of a small-message
// echo, for nothing here, since a loop's sockets never block and its
// threads are never cancelled. On Linux the system calls are made directly
// (same arguments, same result and errno); elsewhere the libc functions are.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <csignal>
#include <cstddef>

namespace faye::net::direct {

#if defined(__linux__) && defined(SYS_recvfrom) && defined(SYS_sendto) && defined(SYS_sendmsg) && \
    defined(SYS_epoll_pwait)

inline ssize_t recv(int fd, void* data, std::size_t size, int flags) {
  return ::syscall(SYS_recvfrom, fd, data, size, flags, nullptr, nullptr);
}

inline ssize_t send(int fd, const void* data, std::size_t size, int flags) {
  return ::syscall(SYS_sendto, fd, data, size, flags, nullptr, 0);
}

inline ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  return ::syscall(SYS_sendmsg, fd, message, flags);
}

// epoll_pwait with no signal mask is epoll_wait, on every architecture (some
// have no epoll_wait system call).
inline int epoll_wait(int epoll_fd, epoll_event* events, int max_events, int timeout_ms) {
  return static_cast<int>(
      ::syscall(SYS_epoll_pwait, epoll_fd, events, max_events, timeout_ms, nullptr, _NSIG / 8));
}

#else

inline ssize_t recv(int fd, void* data, std::size_t size, int flags) {
  return ::recv(fd, data, size, flags);
}
inline ssize_t send(int fd, const void* data, std::size_t size, int flags) {
  return ::send(fd, data, size, flags);
}
inline ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  return ::sendmsg(fd, message, flags);
}
inline int epoll_wait(int epoll_fd, epoll_event* events, int max_events, int timeout_ms) {
  return ::epoll_wait(epoll_fd, events, max_events, timeout_ms);
}

#endif

}  // namespace faye::net::direct
