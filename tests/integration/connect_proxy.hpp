// A tiny HTTP CONNECT proxy (RFC 9110 9.3.6) for tests, on 127.0.0.1 and a
// port from the OS: one thread accepts, one thread per tunnel relays bytes
// both ways with blocking sockets and poll(). It can demand credentials
// (407 without them), refuse everything (403), or never answer; it records
// the head of every CONNECT request it got. Only loopback origins are
// reached. stop() (or the destructor) ends every thread and closes every
// socket.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace faye::test {

class ConnectProxy {
 public:
  enum class Mode {
    tunnel,       // 200, then relay
    refuse,       // 403 Forbidden to every request
    never_answer  // read the request, then say nothing
  };

  struct Options {
    Mode mode = Mode::tunnel;
    // "user:password": requests without `Proxy-Authorization: Basic` of
    // these get 407. Empty: no authentication.
    std::string credentials;
  };

  ConnectProxy() : ConnectProxy(Options{}) {}
  explicit ConnectProxy(Options options) : options_(std::move(options)) {
    if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    if (listen_ < 0 ||
        ::bind(listen_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_, 64) != 0) {
      const std::string reason = std::strerror(errno);
      close_all();
      throw std::runtime_error("proxy: cannot listen on 127.0.0.1: " + reason);
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ConnectProxy(const ConnectProxy&) = delete;
  ConnectProxy& operator=(const ConnectProxy&) = delete;
  ~ConnectProxy() { stop(); }

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view userinfo = {}) const {
    std::string out = "http://";
    if (!userinfo.empty()) out.append(userinfo).append("@");
    return out + "127.0.0.1:" + std::to_string(port_);
  }

  // The heads (request line and fields, up to the blank line) of the
  // requests received so far, in order.
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // Tunnels opened (2xx sent) so far.
  int tunnels() const { return tunnels_.load(); }

  void stop() {
    if (stopped_.exchange(true)) return;
    const char byte = 'x';
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
    if (acceptor_.joinable()) acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);
      workers.swap(workers_);
    }
    for (std::thread& worker : workers) worker.join();
    close_all();
  }

 private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
  }

  static std::string base64(std::string_view in) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                         static_cast<unsigned char>(in[i + 1]) << 8 |
                         static_cast<unsigned char>(in[i + 2]);
      out += {alphabet[v >> 18], alphabet[v >> 12 & 63], alphabet[v >> 6 & 63], alphabet[v & 63]};
    }
    if (i + 1 == in.size()) {
      const unsigned v = static_cast<unsigned char>(in[i]) << 16;
      out += {alphabet[v >> 18], alphabet[v >> 12 & 63], '=', '='};
    } else if (i + 2 == in.size()) {
      const unsigned v =
          static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
      out += {alphabet[v >> 18], alphabet[v >> 12 & 63], alphabet[v >> 6 & 63], '='};
    }
    return out;
  }

  // The value of the first field called `name` (case-insensitive) in a
  // request head, trimmed; empty when absent.
  static std::string field(const std::string& head, std::string_view name) {
    std::size_t line = head.find("\r\n");
    while (line != std::string::npos && line + 2 < head.size()) {
      const std::size_t start = line + 2;
      line = head.find("\r\n", start);
      const std::string text = head.substr(start, line - start);
      const std::size_t colon = text.find(':');
      if (colon != name.size()) continue;
      bool same = true;
      for (std::size_t i = 0; i < colon; ++i) {
        same &= std::tolower(static_cast<unsigned char>(text[i])) ==
                std::tolower(static_cast<unsigned char>(name[i]));
      }
      if (!same) continue;
      const std::size_t first = text.find_first_not_of(" \t", colon + 1);
      const std::size_t last = text.find_last_not_of(" \t");
      return first == std::string::npos ? std::string() : text.substr(first, last + 1 - first);
    }
    return {};
  }

  // Waits for `fd` (or the stop pipe) for up to `timeout_ms`; false when
  // stopping or timed out.
  bool wait_for(int fd, short events, int timeout_ms = 10'000) const {
    pollfd entries[2] = {{fd, events, 0}, {wake_[0], POLLIN, 0}};
    for (;;) {
      const int ready = ::poll(entries, 2, timeout_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0 || entries[1].revents != 0) return false;
      return true;
    }
  }

  static bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  void accept_loop() {
    while (wait_for(listen_, POLLIN, -1)) {
      const int client = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      std::lock_guard lock(mutex_);
      workers_.emplace_back([this, client] {
        serve(client);
        ::close(client);
      });
    }
  }

  void serve(int client) {
    std::string head;
    std::size_t end;
    while ((end = head.find("\r\n\r\n")) == std::string::npos) {
      if (head.size() > 16 * 1024 || !wait_for(client, POLLIN)) return;
      char chunk[1024];
      const ssize_t got = ::recv(client, chunk, sizeof chunk, 0);
      if (got <= 0) return;
      head.append(chunk, static_cast<std::size_t>(got));
    }
    std::string early = head.substr(end + 4);  // tunnel bytes sent ahead of our answer
    head.resize(end + 2);
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(head);
    }
    if (options_.mode == Mode::never_answer) {
      wait_for(wake_[0], POLLIN, -1);
      return;
    }
    if (options_.mode == Mode::refuse) {
      send_all(client,
               "HTTP/1.1 403 Forbidden\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
               "forbidden");
      return;
    }
    if (!options_.credentials.empty() &&
        field(head, "Proxy-Authorization") != "Basic " + base64(options_.credentials)) {
      send_all(client,
               "HTTP/1.1 407 Proxy Authentication Required\r\n"
               "Proxy-Authenticate: Basic realm=\"faye tests\"\r\nContent-Length: 0\r\n"
               "Connection: close\r\n\r\n");
      return;
    }
    // "CONNECT host:port HTTP/1.1": loopback origins only.
    const std::size_t target_start = head.find(' ') + 1;
    const std::string target =
        head.substr(target_start, head.find(' ', target_start) - target_start);
    const std::size_t colon = target.rfind(':');
    const std::string host = target.substr(0, colon);
    const int port = colon == std::string::npos ? 0 : std::atoi(target.c_str() + colon + 1);
    if (!head.starts_with("CONNECT ") || (host != "127.0.0.1" && host != "localhost") ||
        port <= 0 || port > 65535) {
      send_all(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const int origin = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopback(static_cast<std::uint16_t>(port));
    if (origin < 0 ||
        ::connect(origin, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      if (origin >= 0) ::close(origin);
      send_all(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    ++tunnels_;
    if (send_all(client, "HTTP/1.1 200 Connection Established\r\n\r\n") &&
        send_all(origin, early)) {
      relay(client, origin);
    }
    ::close(origin);
  }

  // Copies bytes both ways; an end of stream from one side is passed on as a
  // FIN to the other; done when both directions have ended (or on stop).
  void relay(int a, int b) {
    bool open[2] = {true, true};  // a->b, b->a
    while (open[0] || open[1]) {
      pollfd entries[3] = {{a, static_cast<short>(open[0] ? POLLIN : 0), 0},
                           {b, static_cast<short>(open[1] ? POLLIN : 0), 0},
                           {wake_[0], POLLIN, 0}};
      const int ready = ::poll(entries, 3, 30'000);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0 || entries[2].revents != 0) return;
      for (int side = 0; side < 2; ++side) {
        if (!open[side] || entries[side].revents == 0) continue;
        const int from = side == 0 ? a : b;
        const int to = side == 0 ? b : a;
        char chunk[64 * 1024];
        const ssize_t got = ::recv(from, chunk, sizeof chunk, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0 || !send_all(to, std::string_view(chunk, static_cast<std::size_t>(got)))) {
          open[side] = false;
          ::shutdown(to, SHUT_WR);
          if (got < 0) return;
        }
      }
    }
  }

  void close_all() {
    for (int* fd : {&listen_, &wake_[0], &wake_[1]}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
  }

  Options options_;
  int listen_ = -1;
  int wake_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<std::string> requests_;
  std::atomic<int> tunnels_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace faye::test
