#include "faye/net/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>

#include "faye/net/event_loop.hpp"
#include "faye/net/stream.hpp"
#include "faye/net/timer.hpp"

namespace faye::net {

struct Listener::State : std::enable_shared_from_this<Listener::State> {
  explicit State(EventLoop& loop) : loop(loop), acceptor(loop.context()), retry(loop) {}

  // Waits for pending connections, then takes them with accept4() itself:
  // a socket accepted by Asio would be added to Asio's epoll set, made
  // non-blocking with an ioctl and taken out again when the Connection
  // releases it, three system calls per connection for nothing.
  void accept() {
    // The generation tells a completion of this listen() from one aborted by
    // stop() and delivered after a new listen().
    acceptor.async_wait(asio::socket_base::wait_read,
                        [self = shared_from_this(), generation = generation](
                            const std::error_code& ec) {
                          if (!self->running || generation != self->generation) return;
                          if (ec) return self->retry_later(ec);
                          self->accept_pending();
                        });
  }

  void accept_pending() {
    const std::uint64_t listening = generation;
    // At most a batch per turn, so that a flood of connections cannot starve
    // the loop's other work; the next wait completes at once if more wait.
    for (int taken = 0; taken < kAcceptBatch; ++taken) {
      socklen_t peer_length = static_cast<socklen_t>(peer.capacity());
      const int fd = ::accept4(acceptor.native_handle(), peer.data(), &peer_length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        peer.resize(peer_length);
        on_socket(fd);
        // stop() (and perhaps a new listen()) from the accept handler.
        if (!running || generation != listening) return;
        continue;
      }
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) break;
      // A connection that died in the backlog, or a network error Linux
      // passes on (accept(2)): the next one may be fine.
      if (error == EINTR || error == ECONNABORTED || error == EPROTO || error == EPERM ||
          error == ENETDOWN || error == ENOPROTOOPT || error == EHOSTDOWN || error == ENONET ||
          error == EHOSTUNREACH || error == EOPNOTSUPP || error == ENETUNREACH) {
        continue;
      }
      // Out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), or
      // anything else that may persist: accepting again at once would spin,
      // so give the server a moment to release some.
      return retry_later(std::error_code(error, std::system_category()));
    }
    accept();
  }

  // Reports `ec` (an error of accept4() or of the wait on the listening
  // socket) and waits again in 100 ms.
  void retry_later(const std::error_code& ec) {
    report(ec);
    retry.start(std::chrono::milliseconds(100), [weak = weak_from_this()] {
      if (auto self = weak.lock(); self && self->running) self->accept();
    });
  }

  void on_socket(int fd) {
#ifndef __linux__
    // Linux copies TCP_NODELAY from the listening socket (listen() below);
    // elsewhere each accepted socket needs it set.
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
#endif
    if (!options.tls) {
      peer_known = true;
      struct Forget {
        bool& known;
        ~Forget() { known = false; }
      } forget{peer_known};
      on_accept(Connection::create(loop, fd, options.connection));
      return;
    }
    // The TLS handshake runs on Asio's socket.
    std::error_code ec;
    Socket socket(loop.context());
    socket.assign(acceptor.local_endpoint(ec).protocol(), fd, ec);
    if (ec) {
      ::close(fd);
      return report(ec);
    }
    auto stream =
        TlsStream::create(std::move(socket), options.tls, TlsStream::Role::server, {}, ec);
    if (!stream) return report(ec);
    async_handshake(
        loop, std::move(stream), options.handshake_timeout,
        [weak = weak_from_this()](std::error_code ec, std::unique_ptr<TlsStream> tls) {
          auto self = weak.lock();
          if (!self || !self->running) return;
          if (ec) return self->report(ec);
          self->on_accept(Connection::create(self->loop, std::move(tls), self->options.connection));
        });
  }

  static constexpr int kAcceptBatch = 64;

  void report(const std::error_code& ec) {
    if (on_error) on_error(ec);
  }

  EventLoop& loop;
  asio::ip::tcp::acceptor acceptor;
  Timer retry;
  ListenOptions options;
  AcceptHandler on_accept;
  ErrorHandler on_error;
  std::uint64_t generation = 0;
  asio::ip::tcp::endpoint peer;  // of the last accept4(), see accepted_peer()
  bool peer_known = false;       // during on_accept for that connection
  bool running = false;
};

Listener::Listener(EventLoop& loop) : state_(std::make_shared<State>(loop)) {}

Listener::~Listener() {
  stop();
}

std::error_code Listener::listen(ListenOptions options, AcceptHandler on_accept,
                                 ErrorHandler on_error, std::string* what) {
  stop();
  State& state = *state_;
  const auto fail = [&](std::string_view step, const std::error_code& ec) {
    if (what)
      *what = std::string(step) + ' ' + options.host + ':' + std::to_string(options.port) + ": " +
              ec.message();
    std::error_code ignored;
    state.acceptor.close(ignored);
    return ec;
  };
  std::error_code ec;
  // Resolved synchronously: listening happens once, at start-up, and a name
  // such as "localhost" must not need a running loop.
  asio::ip::tcp::resolver resolver(state.loop.context());
  const auto results = resolver.resolve(
      options.host, std::to_string(options.port),
      asio::ip::tcp::resolver::passive | asio::ip::tcp::resolver::numeric_service, ec);
  if (ec) return fail("resolve", ec);
  if (results.empty()) return fail("resolve", asio::error::host_not_found);
  const asio::ip::tcp::endpoint endpoint = results.begin()->endpoint();
  state.acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("socket", ec);
  state.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("SO_REUSEADDR", ec);
  if (options.reuse_port) {
    const int on = 1;
    if (::setsockopt(state.acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) !=
        0) {
      return fail("SO_REUSEPORT", std::error_code(errno, std::system_category()));
    }
  }
#ifdef TCP_DEFER_ACCEPT
  if (options.defer_accept.count() > 0) {
    const int seconds = static_cast<int>(std::min<std::chrono::seconds::rep>(
        options.defer_accept.count(), std::numeric_limits<int>::max()));
    if (::setsockopt(state.acceptor.native_handle(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds,
                     sizeof seconds) != 0) {
      return fail("TCP_DEFER_ACCEPT", std::error_code(errno, std::system_category()));
    }
  }
#endif
  // WebSocket frames are small and latency matters: no Nagle delay. Set here
  // once, Linux gives it to every accepted socket, saving a system call each.
  state.acceptor.set_option(asio::ip::tcp::no_delay(true), ec);
  if (ec) return fail("TCP_NODELAY", ec);
  state.acceptor.bind(endpoint, ec);
  if (ec) return fail("bind", ec);
  state.acceptor.listen(options.backlog, ec);
  if (ec) return fail("listen", ec);
  state.options = std::move(options);
  state.on_accept = std::move(on_accept);
  state.on_error = std::move(on_error);
  state.running = true;
  state.accept();
  return {};
}

void Listener::stop() {
  State& state = *state_;
  if (!state.running && !state.acceptor.is_open()) return;
  state.running = false;
  ++state.generation;
  state.retry.cancel();
  std::error_code ignored;
  state.acceptor.close(ignored);
}

std::string Listener::accepted_peer() const {
  return state_->peer_known ? to_string(state_->peer) : std::string();
}

std::uint16_t Listener::port() const noexcept {
  std::error_code ec;
  const auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

std::string Listener::local_endpoint() const {
  std::error_code ec;
  const auto endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? std::string() : to_string(endpoint);
}

}  // namespace faye::net
