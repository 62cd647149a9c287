// Server-side entry points: accept() for requests from faye::http::Server,
// adopt() for connections handed over by another server.
#include <cerrno>

#include "core.hpp"
#include "faye/driver/handshake.hpp"
#include "faye/net/connection.hpp"

namespace faye {
namespace {

std::string socket_url(const http::Request& request, bool secure) {
  return std::string(secure ? "wss://" : "ws://") + std::string(request.host()) + request.target;
}

}  // namespace

bool WebSocket::is_websocket(const http::Request& request) {
  return driver::is_websocket(request);
}

std::shared_ptr<WebSocket> WebSocket::accept(http::Request& request, Options options) {
  std::shared_ptr<net::Connection> connection = std::move(request.connection);
  if (!connection) return nullptr;
  auto socket = Block::create(connection->loop(), options);
  Core& core = socket->core();
  core.set_url(socket_url(request, request.secure || connection->is_secure()));
  core.attach(connection, options.max_buffered_amount);
  core.accept(request, options);
  connection->loop().post([socket, early = std::move(request.body)]() mutable {
    socket->core().begin(std::move(early), /*connection_started=*/true);
  });
  return socket;
}

std::shared_ptr<WebSocket> WebSocket::adopt(net::EventLoop& loop, int fd,
                                            const http::Request& request, Bytes already_read,
                                            Options options) {
  std::error_code error;
  auto connection = net::Connection::adopt(
      loop, fd, already_read, error, {.write_buffer_limit = options.max_buffered_amount});
  if (!connection) return nullptr;
  auto socket = Block::create(loop, options);
  Core& core = socket->core();
  core.set_url(socket_url(request, request.secure));
  core.attach(connection, options.max_buffered_amount);
  core.accept(request, options);
  loop.post([socket] { socket->core().begin({}, /*connection_started=*/false); });
  return socket;
}

}  // namespace faye
