// A byte stream over a connected TCP socket: plain (TcpStream) or TLS
// (TlsStream, in tls.hpp). The connection code is written once against this
// interface. Every operation is non-blocking: it does what it can now and says
// which readiness to wait for before trying again.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <system_error>

#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>

#include "faye/bytes.hpp"

namespace faye::net {

using Socket = asio::ip::tcp::socket;

// The readiness an operation waits for before it can make progress.
enum class Wait { none, read, write };

struct IoResult {
  std::size_t bytes = 0;   // transferred by this call
  Wait wait = Wait::none;  // set when the call stopped because it would block
  std::error_code error;   // asio::error::eof for an orderly end of input
};

class Stream {
 public:
  explicit Stream(Socket socket);
  // A connected descriptor that was never in Asio's reactor (accept4'ed by
  // the Listener): released from the start, with no Asio socket.
  explicit Stream(int fd) noexcept : fd_(fd), released_(true) {}
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  virtual ~Stream();

  // The Asio socket, for the phases before a Connection takes the stream
  // over (TLS handshake, proxy tunnel). Gone after release_from_reactor().
  Socket& socket() noexcept { return *socket_; }
  int native_handle() const noexcept { return fd_; }
  // Takes the descriptor out of Asio's reactor; the stream owns it from then
  // on and its readiness comes from the loop's poller (net/connection.cpp).
  // A socket left in Asio's epoll set would be woken there too, for nothing,
  // and keep Asio's per-descriptor state; the Asio socket object (~90 bytes)
  // is freed too.
  void release_from_reactor();
  // Closes the descriptor (idempotent).
  void close() noexcept;
  // Hands the descriptor of a released stream over to the caller, who closes
  // it from then on; returns -1 (and keeps it) when the stream is not
  // released. A Connection keeps a plain TCP stream as its descriptor alone.
  int take_descriptor() noexcept;
  virtual bool is_secure() const noexcept = 0;

  // Reads into `into` (plain text for TLS).
  virtual IoResult read_some(MutableBytes into) = 0;
  // Writes from a sequence of buffers (gathered with writev for TCP). With TLS
  // the first buffers are encrypted; a retry after Wait::write must pass the
  // same leading bytes again, possibly followed by more.
  virtual IoResult write_some(std::span<const asio::const_buffer> buffers) = 0;
  // Ends the sending direction: TLS close_notify, then TCP FIN.
  virtual IoResult shutdown_send() = 0;

 protected:
  std::unique_ptr<Socket> socket_;  // null once released
  int fd_ = -1;
  bool released_ = false;  // fd_ is ours, out of Asio's reactor
};

// Plain TCP on a descriptor: TcpStream's operations, which a Connection also
// calls directly for a plain socket (net/connection.hpp).
namespace tcp {
IoResult read_some(int fd, MutableBytes into);
// `last`: the FIN follows these bytes (a close or shutdown once they are
// written), so they are held back for it to ride on their final segment
// (MSG_MORE): one packet fewer per closed connection.
IoResult write_some(int fd, std::span<const asio::const_buffer> buffers, bool last = false);
IoResult shutdown_send(int fd);
}  // namespace tcp

class TcpStream final : public Stream {
 public:
  explicit TcpStream(Socket socket) : Stream(std::move(socket)) {}
  explicit TcpStream(int fd) noexcept : Stream(fd) {}
  bool is_secure() const noexcept override { return false; }
  IoResult read_some(MutableBytes into) override { return tcp::read_some(fd_, into); }
  IoResult write_some(std::span<const asio::const_buffer> buffers) override {
    return tcp::write_some(fd_, buffers);
  }
  IoResult shutdown_send() override { return tcp::shutdown_send(fd_); }
};

// "127.0.0.1:1234" or "[::1]:1234".
std::string to_string(const asio::ip::tcp::endpoint& endpoint);

}  // namespace faye::net
