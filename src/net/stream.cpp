#include "faye/net/stream.hpp"

#include <charconv>

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include <asio/error.hpp>

#include "direct_syscalls.hpp"

namespace faye::net {

Stream::Stream(Socket socket)
    : socket_(std::make_unique<Socket>(std::move(socket))), fd_(socket_->native_handle()) {
  // Non-blocking at the descriptor level: reads and writes are attempted
  // directly, and OpenSSL (which calls read/write on the fd) must not block.
  std::error_code ignored;
  socket_->non_blocking(true, ignored);
}

Stream::~Stream() {
  close();
}

void Stream::release_from_reactor() {
  if (released_ || !socket_->is_open()) return;
  std::error_code ec;
  const int fd = socket_->release(ec);
  if (ec) return;  // stays with Asio, which still works
  fd_ = fd;
  released_ = true;
  socket_.reset();
}

void Stream::close() noexcept {
  if (released_) {
    if (fd_ >= 0) ::close(fd_);
  } else {
    std::error_code ignored;
    socket_->close(ignored);
  }
  fd_ = -1;
}

int Stream::take_descriptor() noexcept {
  if (!released_) return -1;
  return std::exchange(fd_, -1);
}

namespace tcp {

// Plain system calls on the descriptor, whether or not Asio still has it
// (made directly: net/direct_syscalls.hpp).
IoResult read_some(int fd, MutableBytes into) {
  for (;;) {
    const ssize_t n = direct::recv(fd, into.data(), into.size(), 0);
    if (n > 0) return {static_cast<std::size_t>(n), Wait::none, {}};
    if (n == 0) return {0, Wait::none, into.empty() ? std::error_code() : asio::error::eof};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, Wait::read, {}};
    return {0, Wait::none, std::error_code(errno, asio::error::get_system_category())};
  }
}

namespace {

IoResult write_result(ssize_t n) {
  if (n >= 0) return {static_cast<std::size_t>(n), Wait::none, {}};
  if (errno == EAGAIN || errno == EWOULDBLOCK) return {0, Wait::write, {}};
  return {0, Wait::none, std::error_code(errno, asio::error::get_system_category())};
}

}  // namespace

IoResult write_some(int fd, std::span<const asio::const_buffer> buffers, bool last) {
  // MSG_NOSIGNAL: a peer that is gone is an error code, not SIGPIPE.
  // MSG_MORE corks: the kernel keeps a partial segment until more bytes, or
  // the FIN, which it then tacks onto that segment (tcp_send_fin).
  const int flags = MSG_NOSIGNAL | (last ? MSG_MORE : 0);
  if (buffers.size() == 1) {
    // The usual case (small messages gathered in one buffer): send() spares
    // the kernel copying in a msghdr and an iovec array.
    for (;;) {
      const ssize_t n = direct::send(fd, buffers[0].data(), buffers[0].size(), flags);
      if (n < 0 && errno == EINTR) continue;
      return write_result(n);
    }
  }
  std::array<iovec, 64> vectors;
  const std::size_t count = std::min(buffers.size(), vectors.size());
  for (std::size_t i = 0; i < count; ++i) {
    vectors[i].iov_base = const_cast<void*>(buffers[i].data());
    vectors[i].iov_len = buffers[i].size();
  }
  msghdr message{};
  message.msg_iov = vectors.data();
  message.msg_iovlen = count;
  for (;;) {
    const ssize_t n = direct::sendmsg(fd, &message, flags);
    if (n < 0 && errno == EINTR) continue;
    return write_result(n);
  }
}

IoResult shutdown_send(int fd) {
  if (::shutdown(fd, SHUT_WR) != 0) {
    return {0, Wait::none, std::error_code(errno, asio::error::get_system_category())};
  }
  return {};
}

}  // namespace tcp

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  if (address.is_v6()) return "[" + address.to_string() + "]:" + std::to_string(endpoint.port());
  // Every accepted connection's address is formatted: a dotted quad by hand
  // costs a tenth of inet_ntop's trip through sprintf.
  char text[sizeof "255.255.255.255:65535"];
  char* const end = text + sizeof text;
  char* p = text;
  const auto bytes = address.to_v4().to_bytes();
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) *p++ = '.';
    p = std::to_chars(p, end, bytes[i]).ptr;
  }
  *p++ = ':';
  p = std::to_chars(p, end, endpoint.port()).ptr;
  return std::string(text, p);
}

}  // namespace faye::net
