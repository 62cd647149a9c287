// Server-side entry points: accept() for requests from faye::http::Server,
// adopt() for connections handed over by another server.
#include <cerrno>

#include "core.hpp"
#include "faye/driver/handshake.hpp"
#include "faye/net/connection.hpp"

namespace faye {
namespace {

// ws[s]://host/target, as the socket's url().
void set_socket_url(WebSocket::Core& core, const http::Request& request, bool secure) {
  core.set_url({secure ? "wss://" : "ws://", request.host(), request.target});
}

}  // namespace

bool WebSocket::is_websocket(const http::Request& request) {
  return driver::is_websocket(request);
}

std::shared_ptr<WebSocket> WebSocket::accept(http::Request& request, const Options& options) {
  std::shared_ptr<net::Connection> connection = std::move(request.connection);
  if (!connection) return nullptr;
  auto socket = Block::create(connection->loop(), options);
  Core& core = socket->core();
  set_socket_url(core, request, request.secure || connection->is_secure());
  core.attach(connection, options.max_buffered_amount);
  core.accept(request, options);
  connection->loop().defer([socket, early = std::move(request.body)]() mutable {
    socket->core().begin(std::move(early), /*connection_started=*/true);
  });
  return socket;
}

std::shared_ptr<WebSocket> WebSocket::adopt(net::EventLoop& loop, int fd,
                                            const http::Request& request, Bytes already_read,
                                            const Options& options) {
  std::error_code error;
  auto connection = net::Connection::adopt(
      loop, fd, already_read, error, {.write_buffer_limit = options.max_buffered_amount});
  if (!connection) return nullptr;
  auto socket = Block::create(loop, options);
  Core& core = socket->core();
  set_socket_url(core, request, request.secure);
  core.attach(connection, options.max_buffered_amount);
  core.accept(request, options);
  loop.defer([socket] { socket->core().begin({}, /*connection_started=*/false); });
  return socket;
}

}  // namespace faye
