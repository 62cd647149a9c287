// faye::http::Server: the embedded HTTP/1.1 server (the library's "Thin"),
// with a Rack-like application callback.
//
//   faye::http::Server server({.port = 9292}, [](faye::http::Request& request) {
//     return faye::http::Response{200, {{"Content-Type", "text/plain"}}, "Hello"};
//   });
//   server.run();
//
// Each of `threads` threads runs its own event loop with its own SO_REUSEPORT
// listener; a connection lives on the loop that accepted it, and the
// application is called on that loop's thread (so concurrently when threads
// > 1). Connections taken over (WebSockets) stay on the server's loops: the
// Server must outlive them; stop() closes them.
//
// What the server does for the application (RFC 9112, RFC 9110):
//  - persistent connections and pipelining: responses leave in request order;
//    while more than `max_pending_output` response bytes wait to be sent, the
//    connection's next requests are not read (TCP pushes back on the client);
//  - Content-Length and chunked request bodies, delivered whole in
//    Request::body; HTTP/1.0 with and without keep-alive;
//  - `Expect: 100-continue` is answered with 100 before the body is read; any
//    other expectation with 417;
//  - HEAD responses carry the head only; Date, Server and Connection fields
//    are added to every response;
//  - requests over the limits get 400, 413, 414, 431 or 505, then the
//    connection is closed; a request that is not complete within
//    `request_timeout` gets 408 and is dropped; an idle persistent connection
//    is closed after `keep_alive_timeout`;
//  - an exception thrown by the application becomes a 500.
//
// Taking a connection over (WebSocket, EventSource): `request.connection` is
// the connection the request arrived on. An application that keeps it (moves
// it out, as WebSocket::accept does) or returns Response::hijacked() owns it
// from then on: the server forgets it and never touches it again. For an
// upgrade request (Connection: Upgrade, or CONNECT) the server has stopped
// reading (the new owner calls resume_reading()) and `request.body` holds the
// bytes that followed the head. An upgrade request that is answered with a
// normal response is closed after it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "faye/http/request.hpp"
#include "faye/http/response.hpp"

namespace faye::http {

// Called once per request on the connection's loop thread. May take the
// connection over (WebSocket::accept) and return Response::hijacked(). An
// exception becomes a 500 response.
using Application = std::function<Response(Request&)>;

struct ServerOptions {
  std::string host = "0.0.0.0";  // an address or name: "::", "127.0.0.1", "::1", "localhost"
  std::uint16_t port = 9292;     // 0: any free port, see Server::port()
  unsigned threads = 1;          // event loops, one thread each (0 counts as 1)
  // TLS when both are set (PEM files).
  std::string tls_cert_file{};
  std::string tls_key_file{};
  // Limits on what a client may send (answered with 431, 413, 400).
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_header_count = 100;
  std::size_t max_body_size = 1024 * 1024;
  // A request whose head and body do not arrive within request_timeout of
  // its first byte is dropped with 408 (slowloris); a new connection that
  // sends nothing for request_timeout after it is accepted (see
  // defer_accept) is closed. An idle persistent
  // connection is closed after keep_alive_timeout, and so is one whose peer
  // has read none of our responses for that long.
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{15'000};
  // Linux: the kernel holds a new connection until its first bytes arrive
  // (net::ListenOptions::defer_accept, for request_timeout), as Apache and
  // lighttpd do by default: a loop is woken once per client, with its
  // request ready to read. A connection that sends nothing then waits up to
  // about request_timeout before it is accepted, then request_timeout more.
  bool defer_accept = true;
  // stop(): how long in-flight responses and closing WebSockets may take.
  std::chrono::milliseconds shutdown_timeout{5'000};
  // Outgoing bytes a connection may queue before it is dropped.
  std::size_t max_buffered_bytes = 64 * 1024 * 1024;
  // Pipelining back-pressure: while more response bytes than this wait to be
  // sent, the connection's further requests are left unread.
  std::size_t max_pending_output = 1024 * 1024;
  // The Server response field (RFC 9110 10.2.4); empty: none is sent.
  std::string server_name = "faye-websocket";
};

class Server {
 public:
  Server(ServerOptions options, Application application);
  ~Server();  // stop() and wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the loops on their threads; returns once listening.
  // Throws std::system_error naming the address when binding fails (or the
  // TLS files when they cannot be loaded). A Server runs once: start() after
  // (or concurrently with, but ordered after) stop() does nothing.
  void start();
  // start(), then blocks until stop() (from another thread or a signal
  // handler thread) has completed.
  void run();
  // Graceful: stop accepting, notify hijacked connections through
  // net::notify_shutdown (WebSockets close with 1001 Going Away), close idle
  // connections, let requests and responses in flight finish (they are sent
  // with Connection: close), then end the loops once every connection is
  // gone; bounded by shutdown_timeout, after which what remains is aborted.
  // Thread-safe; returns without waiting.
  void stop();
  // Blocks until the loops have ended. Not from a loop thread.
  void wait();

  std::uint16_t port() const;  // the bound port, once started
  const ServerOptions& options() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace faye::http
