// Accepts TCP connections (IPv4 or IPv6), optionally completes their TLS
// handshake, and hands over ready Connections.
//
// For several threads each running its own loop on one port, give every
// thread a Listener with `reuse_port = true`: the kernel spreads connections.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "faye/net/connection.hpp"
#include "faye/net/tls.hpp"

namespace faye::net {

class EventLoop;

struct ListenOptions {
  std::string host = "0.0.0.0";  // "0.0.0.0", "::", "127.0.0.1", "::1", "localhost", ...
  std::uint16_t port = 0;        // 0: any free port, see Listener::port()
  int backlog = 511;
  bool reuse_port = false;  // SO_REUSEPORT
  // Linux TCP_DEFER_ACCEPT, for protocols whose client speaks first (HTTP):
  // the kernel completes a connection only once its first bytes arrive, so
  // the loop is woken for each client once and reads its request at once,
  // instead of waking for the connection and reading nothing. A client that
  // stays silent is held for about this long, then accepted all the same.
  // Zero: off (and where the option does not exist).
  std::chrono::seconds defer_accept{0};
  TlsContext tls{};           // null: plain TCP; see make_server_context()
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS only
  Connection::Options connection;
};

class Listener {
 public:
  // A new connection, not yet started: set its handler, then start() it.
  using AcceptHandler = std::function<void(std::shared_ptr<Connection>)>;
  // Failures that do not stop the listener: failed TLS handshakes, and
  // accept() errors such as running out of descriptors (accepting pauses
  // briefly, then resumes).
  using ErrorHandler = std::function<void(std::error_code)>;

  explicit Listener(EventLoop& loop);
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  ~Listener();  // stops

  // Binds, listens and starts accepting. Errors name the failing step in
  // `what` when given ("bind 0.0.0.0:80: Permission denied").
  std::error_code listen(ListenOptions options, AcceptHandler on_accept, ErrorHandler on_error = {},
                         std::string* what = nullptr);
  // Stops accepting and closes the listening socket; connections already
  // handed over are unaffected; TLS handshakes in progress are abandoned.
  void stop();

  // While the AcceptHandler runs for a plain TCP connection: the peer's
  // address as accept4() gave it ("127.0.0.1:53412", "[::1]:53412"), which
  // spares the handler a getpeername() per connection. Empty at any other
  // time, and for TLS connections (handed over after their handshake; ask
  // Connection::remote_endpoint()).
  std::string accepted_peer() const;

  std::uint16_t port() const noexcept;
  // "0.0.0.0:9292", "[::1]:9292".
  std::string local_endpoint() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace faye::net
