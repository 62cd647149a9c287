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
// application is called on that loop's thread.
#pragma once

#include <chrono>
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
  unsigned threads = 1;          // event loops, one thread each
  // TLS when both are set (PEM files).
  std::string tls_cert_file;
  std::string tls_key_file;
  // Limits on what a client may send (answered with 431, 413, 400).
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_header_count = 100;
  std::size_t max_body_size = 1024 * 1024;
  // A request whose head and body do not arrive within this is dropped
  // (slowloris); an idle keep-alive connection is closed after the other.
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{15'000};
  // stop(): how long in-flight responses and closing WebSockets may take.
  std::chrono::milliseconds shutdown_timeout{5'000};
  // Outgoing bytes a connection may queue before it is dropped.
  std::size_t max_buffered_bytes = 64 * 1024 * 1024;
};

class Server {
 public:
  Server(ServerOptions options, Application application);
  ~Server();  // stop() and wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts the loops on their threads; returns once listening.
  // Throws std::system_error naming the address when binding fails.
  void start();
  // start(), then blocks until stop() (from another thread or a signal
  // handler thread) has completed.
  void run();
  // Graceful: stop accepting, notify hijacked connections through
  // net::notify_shutdown (WebSockets close with 1001 Going Away), let
  // responses in flight drain, then end the loops; bounded by
  // shutdown_timeout. Thread-safe; returns without waiting.
  void stop();
  // Blocks until the loops have ended.
  void wait();

  std::uint16_t port() const;  // the bound port, once started
  const ServerOptions& options() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace faye::http
