// Test helpers for driving a WebSocket server from outside, byte by byte: a
// child process (a server binary) owned by PID, a blocking TCP client whose
// every read has a deadline, and hand-built frames and handshakes. Built by
// hand rather than with faye's own client so that the tests control exactly
// which bytes share a write (draft-76 key3, frames right after the head).
//
// Failures throw std::runtime_error; GoogleTest reports them as test failures.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace faye::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr auto io_timeout = std::chrono::milliseconds(10'000);

[[noreturn]] inline void fail_errno(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Waits until `fd` is readable or the deadline passes (then throws).
inline void wait_readable(int fd, Clock::time_point deadline, std::string_view what) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw std::runtime_error("timed out waiting for " + std::string(what));
    pollfd entry{fd, POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) fail_errno("poll");
  }
}

// A child process with its stdout on a pipe. The destructor ends it by PID
// (SIGTERM, then SIGKILL after a grace period) and reaps it.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) fail_errno("pipe2");
    stdout_ = pipe_fds[0];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int error = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (error != 0) {
      ::close(stdout_);
      throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(error));
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  ~ChildProcess() {
    if (running()) {
      ::kill(pid_, SIGTERM);
      const auto deadline = Clock::now() + 2s;
      while (running() && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
      if (running()) ::kill(pid_, SIGKILL);
    }
    if (!reaped_) ::waitpid(pid_, &status_, 0);
    ::close(stdout_);
  }

  pid_t pid() const { return pid_; }

  // Still alive (reaps it, keeping its status, once it has exited).
  bool running() {
    if (reaped_) return false;
    if (::waitpid(pid_, &status_, WNOHANG) == 0) return true;
    reaped_ = true;
    return false;
  }

  // The next line the child writes to stdout, without the newline.
  std::string read_line(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      if (auto end = pending_.find('\n'); end != std::string::npos) {
        std::string line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        return line;
      }
      wait_readable(stdout_, deadline, "a line from the child's stdout");
      char chunk[512];
      const ssize_t got = ::read(stdout_, chunk, sizeof chunk);
      if (got == 0) throw std::runtime_error("the child closed its stdout (did it exit?)");
      if (got < 0 && errno != EINTR) fail_errno("read from child");
      if (got > 0) pending_.append(chunk, static_cast<std::size_t>(got));
    }
  }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::string pending_;
};

// A blocking TCP client on 127.0.0.1 with buffered, deadline-bound reads.
class TcpClient {
 public:
  explicit TcpClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail_errno("socket");
    const timeval send_timeout{10, 0};  // a server that stops reading fails the test
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      const int saved = errno;
      ::close(fd_);
      errno = saved;
      fail_errno("connect to port " + std::to_string(port));
    }
  }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;
  ~TcpClient() { ::close(fd_); }

  // One call, so that small writes leave in one segment as a browser's would.
  void send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EINTR) continue;
        fail_errno("send");
      }
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  // Everything up to and including `delimiter`.
  std::string read_until(std::string_view delimiter,
                         std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find(delimiter)) == std::string::npos) {
      if (!fill(deadline)) throw std::runtime_error("connection closed before the delimiter");
    }
    return take(end + delimiter.size());
  }

  std::string read_exact(std::size_t size, std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    while (buffer_.size() < size) {
      if (!fill(deadline)) {
        throw std::runtime_error("connection closed after " + std::to_string(buffer_.size()) +
                                 " of " + std::to_string(size) + " bytes");
      }
    }
    return take(size);
  }

  // True when the peer ends the connection with nothing more to read.
  bool reads_eof(std::chrono::milliseconds timeout = io_timeout) {
    const auto deadline = Clock::now() + timeout;
    while (buffer_.empty()) {
      if (!fill(deadline)) return true;
    }
    return false;
  }

 private:
  // Reads what is available; false on end of stream (or reset).
  bool fill(Clock::time_point deadline) {
    wait_readable(fd_, deadline, "data from the server");
    char chunk[64 * 1024];
    for (;;) {
      const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
      if (got > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(got));
        return true;
      }
      if (got == 0 || errno == ECONNRESET) return false;
      if (errno != EINTR) fail_errno("recv");
    }
  }

  std::string take(std::size_t size) {
    std::string out = buffer_.substr(0, size);
    buffer_.erase(0, size);
    return out;
  }

  int fd_ = -1;
  std::string buffer_;
};

// ---- RFC 6455 framing, client side ------------------------------------------------

namespace opcode {
inline constexpr std::uint8_t continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9,
                              pong = 0xA;
}

// A client frame: always masked (RFC 6455 5.3), with a fixed key so that
// failures are reproducible.
inline std::string client_frame(std::uint8_t op, std::string_view payload, bool fin = true) {
  constexpr std::array<std::uint8_t, 4> key{0x37, 0xfa, 0x21, 0x3d};
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0x00) | op));
  const std::uint64_t size = payload.size();
  if (size < 126) {
    out.push_back(static_cast<char>(0x80 | size));
  } else if (size <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    for (int shift = 8; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(size >> shift));
  }
  for (auto byte : key) out.push_back(static_cast<char>(byte));
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ key[i % 4]));
  }
  return out;
}

inline std::string close_payload(std::uint16_t code, std::string_view reason) {
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  out.append(reason);
  return out;
}

struct Frame {
  bool fin = false;
  std::uint8_t opcode = 0;
  std::string payload;
};

// A server frame, which must not be masked (RFC 6455 5.1).
inline Frame read_frame(TcpClient& client, std::chrono::milliseconds timeout = io_timeout) {
  const std::string head = client.read_exact(2, timeout);
  Frame frame;
  frame.fin = (head[0] & 0x80) != 0;
  frame.opcode = static_cast<std::uint8_t>(head[0] & 0x0F);
  if ((head[1] & 0x80) != 0) throw std::runtime_error("the server masked a frame");
  std::uint64_t size = static_cast<std::uint8_t>(head[1]) & 0x7F;
  if (size >= 126) {
    const std::string extended = client.read_exact(size == 126 ? 2 : 8, timeout);
    size = 0;
    for (char byte : extended) size = (size << 8) | static_cast<std::uint8_t>(byte);
  }
  frame.payload = client.read_exact(static_cast<std::size_t>(size), timeout);
  return frame;
}

// A whole data message (continuation frames joined); control frames are not
// expected from an echo server and fail the read.
inline Frame read_message(TcpClient& client, std::chrono::milliseconds timeout = io_timeout) {
  Frame message = read_frame(client, timeout);
  if (message.opcode != opcode::text && message.opcode != opcode::binary) {
    throw std::runtime_error("expected a data frame, got opcode " + std::to_string(message.opcode));
  }
  while (!message.fin) {
    Frame next = read_frame(client, timeout);
    if (next.opcode != opcode::continuation) throw std::runtime_error("expected a continuation");
    message.payload += next.payload;
    message.fin = next.fin;
  }
  return message;
}

// ---- Handshakes ------------------------------------------------------------------------

// RFC 6455 1.3's example key and the accept value it must produce.
inline constexpr std::string_view hybi_key = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view hybi_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

inline std::string hybi_request(std::uint16_t port, std::string_view target = "/chat") {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\n"
         "Host: 127.0.0.1:" +
         std::to_string(port) +
         "\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Key: " +
         std::string(hybi_key) +
         "\r\n"
         "Sec-WebSocket-Version: 13\r\n"
         "\r\n";
}

// draft-hixie-thewebsocketprotocol-76 1.3's example: keys, key3 (the 8 bytes
// after the head) and the 16-byte answer the server must send.
inline constexpr std::string_view draft76_key1 = "4 @1  46546xW%0l 1 5";
inline constexpr std::string_view draft76_key2 = "12998 5 Y3 1  .P00";
inline constexpr std::string_view draft76_key3 = "^n:ds[4U";
inline constexpr std::string_view draft76_answer = "8jKS'y:G*Co,Wxa-";

inline std::string draft76_request_head(std::uint16_t port, std::string_view target = "/demo") {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\n"
         "Host: 127.0.0.1:" +
         std::to_string(port) +
         "\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Key2: " +
         std::string(draft76_key2) +
         "\r\n"
         "Upgrade: WebSocket\r\n"
         "Sec-WebSocket-Key1: " +
         std::string(draft76_key1) +
         "\r\n"
         "Origin: http://example.com\r\n"
         "\r\n";
}

// Hixie text frame: 0x00, UTF-8, 0xFF.
inline std::string hixie_text_frame(std::string_view text) {
  return '\x00' + std::string(text) + '\xFF';
}

}  // namespace faye::test
