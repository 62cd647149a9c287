// A blocking test client for the integration tests: plain POSIX sockets
// (IPv4 or IPv6), optionally TLS through OpenSSL, every read bounded by a
// deadline so that a misbehaving server fails a test instead of hanging it.
//
//   faye::test::HttpClient client;
//   ASSERT_TRUE(client.connect("127.0.0.1", port));
//   client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
//   auto response = client.read_response();   // status, headers, body
//   std::string rest = client.read_until_close();
//
// Raw helpers (send bytes, read N bytes, read until a marker or until the
// peer closes) let tests speak malformed HTTP or any other protocol.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "faye/http/headers.hpp"

namespace faye::test {

using namespace std::chrono_literals;

struct HttpResponse {
  int status = 0;
  faye::http::Headers headers;
  std::string body;
  bool complete = false;  // a whole response was read
};

class HttpClient {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HttpClient(std::chrono::milliseconds timeout = 5s) : timeout_(timeout) {}
  ~HttpClient() { close(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // The deadline of each read call (from the call's start).
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // SO_RCVBUF for the next connect() (0: the system's): a small one makes the
  // server's output wait in its own queue rather than in ours.
  void set_receive_buffer(int bytes) { receive_buffer_ = bytes; }

  // `host` is an IPv4 or IPv6 literal ("127.0.0.1", "::1").
  bool connect(const std::string& host, std::uint16_t port) {
    close();
    sockaddr_storage address{};
    socklen_t length = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
      v4->sin_family = AF_INET;
      v4->sin_port = htons(port);
      length = sizeof *v4;
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
      v6->sin6_family = AF_INET6;
      v6->sin6_port = htons(port);
      length = sizeof *v6;
    } else {
      return false;
    }
    fd_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    // A backstop for reads inside SSL_read; poll() enforces the deadline.
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int on = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (receive_buffer_ > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_, sizeof receive_buffer_);
    }
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      close();
      return false;
    }
    eof_ = false;
    buffer_.clear();
    return true;
  }

  // TLS client handshake over the connected socket; verifies the server's
  // certificate against `ca_file` and `server_name`.
  bool start_tls(const std::string& ca_file, const std::string& server_name) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return false;
    if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) return false;
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    if (!ssl_) return false;
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    SSL_set1_host(ssl_, server_name.c_str());
    return SSL_connect(ssl_) == 1;
  }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = 0;
      if (ssl_) {
        const int r = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
        n = r > 0 ? r : -1;
      } else {
        n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Ends our direction (FIN) while still reading.
  void shutdown_write() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  }

  void close() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    ssl_ = nullptr;
    ctx_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Everything until the peer closes (or an error, or the deadline).
  std::string read_until_close() {
    const auto deadline = Clock::now() + timeout_;
    while (!eof_ && fill(deadline)) {
    }
    return take(buffer_.size());
  }

  // Up to `n` bytes: fewer only if the peer closed or the deadline passed.
  std::string read_bytes(std::size_t n) {
    const auto deadline = Clock::now() + timeout_;
    while (buffer_.size() < n && fill(deadline)) {
    }
    return take(std::min(n, buffer_.size()));
  }

  // Up to and including `marker`; whatever arrived if it never does.
  std::string read_until(std::string_view marker) {
    const auto deadline = Clock::now() + timeout_;
    std::size_t found;
    while ((found = buffer_.find(marker)) == std::string::npos && fill(deadline)) {
    }
    return take(found == std::string::npos ? buffer_.size() : found + marker.size());
  }

  // One response: the head, then a Content-Length or chunked body (or, with
  // neither, none). Interim 1xx responses are returned like any other.
  HttpResponse read_response(bool head_request = false) {
    HttpResponse response;
    const std::string head = read_until("\r\n\r\n");
    if (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) return response;
    std::string_view rest(head);
    std::size_t eol = rest.find("\r\n");
    std::string_view status_line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return response;
    std::from_chars(status_line.data() + 9, status_line.data() + 12, response.status);
    while ((eol = rest.find("\r\n")) != 0 && eol != std::string_view::npos) {
      const std::string_view line = rest.substr(0, eol);
      rest.remove_prefix(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return response;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      response.headers.add(std::string(line.substr(0, colon)), std::string(value));
    }
    const bool bodiless =
        head_request || response.status < 200 || response.status == 204 || response.status == 304;
    if (bodiless) {
      response.complete = true;
      return response;
    }
    if (response.headers.has_token("Transfer-Encoding", "chunked")) {
      for (;;) {
        const std::string size_line = read_until("\r\n");
        std::size_t size = 0;
        auto [ptr, ec] =
            std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
        if (ec != std::errc() || size_line.size() < 2) return response;
        if (size == 0) {
          read_until("\r\n");  // no trailers in these tests
          break;
        }
        std::string chunk = read_bytes(size + 2);
        if (chunk.size() != size + 2) return response;
        response.body.append(chunk, 0, size);
      }
      response.complete = true;
      return response;
    }
    if (auto length = response.headers.get("Content-Length")) {
      std::size_t size = 0;
      std::from_chars(length->data(), length->data() + length->size(), size);
      response.body = read_bytes(size);
      response.complete = response.body.size() == size;
      return response;
    }
    response.complete = true;
    return response;
  }

  // The peer closed its direction (we read its FIN).
  bool peer_closed() const { return eof_; }
  // True when, within the deadline, the peer closes without sending more.
  bool wait_for_close() {
    read_until_close();
    return eof_;
  }
  int native_handle() const { return fd_; }

 private:
  // Reads what is available (waiting until the deadline); false when nothing
  // more will come: end of stream, error or deadline.
  bool fill(Clock::time_point deadline) {
    if (fd_ < 0 || eof_) return false;
    if (!ssl_ || SSL_pending(ssl_) == 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) return true;
      if (ready <= 0) return false;
    }
    char chunk[16384];
    ssize_t n = 0;
    if (ssl_) {
      const int r = SSL_read(ssl_, chunk, sizeof chunk);
      if (r <= 0) {
        const int error = SSL_get_error(ssl_, r);
        if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return true;
        eof_ = true;  // close_notify, or the connection ended
        return false;
      }
      n = r;
    } else {
      n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) return true;
      if (n <= 0) {
        eof_ = true;  // FIN, or reset: either way nothing more comes
        return false;
      }
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  std::string take(std::size_t n) {
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
  }

  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  int receive_buffer_ = 0;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
  bool eof_ = false;
};

}  // namespace faye::test
