// Client side: resolve, connect, optionally tunnel (e.g. an HTTP proxy's
// CONNECT, supplied by a higher layer), optionally TLS, then hand over a
// ready Connection, each phase under its own timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "faye/net/connection.hpp"
#include "faye/net/timer.hpp"
#include "faye/net/tls.hpp"

namespace faye::net {

class EventLoop;

enum class ConnectPhase { resolve, connect, tunnel, tls };

// "dns", "connect", "proxy" (the tunnel), "tls".
std::string_view to_string(ConnectPhase phase) noexcept;

struct ConnectOptions {
  std::chrono::milliseconds resolve_timeout{10'000};
  std::chrono::milliseconds connect_timeout{10'000};    // all addresses together
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS
  TlsContext tls{};           // null: plain TCP; see make_client_context()
  std::string server_name{};  // SNI and certificate name; empty: the host connected to
  // Runs on the connected plain stream before TLS, e.g. to exchange an HTTP
  // CONNECT with a proxy; calls `done` with the stream to continue on, or an
  // error. `server_name` should then name the final host.
  using Tunnel =
      std::function<void(std::unique_ptr<Stream> stream,
                         std::function<void(std::error_code, std::unique_ptr<Stream>)> done)>;
  Tunnel tunnel{};
  Connection::Options connection;
};

struct ConnectResult {
  std::shared_ptr<Connection> connection;  // null on failure (not started)
  std::error_code error;
  ConnectPhase phase = ConnectPhase::resolve;  // where it failed
  std::string host{};
  std::uint16_t port = 0;

  explicit operator bool() const noexcept { return connection != nullptr; }
  // "tls: certificate verify failed: hostname mismatch (example.com:443)".
  std::string message() const;
};

class Connector : public std::enable_shared_from_this<Connector> {
 public:
  using Handler = std::function<void(ConnectResult)>;

  // Starts connecting; `done` runs exactly once on the loop (never inside
  // connect()) unless cancel() is called first. Keep the returned pointer to
  // cancel; dropping it does not cancel.
  static std::shared_ptr<Connector> connect(EventLoop& loop, std::string host, std::uint16_t port,
                                            ConnectOptions options, Handler done);
  // Abandons the attempt: `done` is not called.
  void cancel();

 private:
  Connector(EventLoop& loop, std::string host, std::uint16_t port, ConnectOptions options,
            Handler done);
  void start();
  void resolve();
  void connect_to(asio::ip::tcp::resolver::results_type endpoints);
  void after_connect(std::unique_ptr<Stream> stream);
  void start_tls(std::unique_ptr<Stream> stream);
  void succeed(std::unique_ptr<Stream> stream);
  void fail(ConnectPhase phase, std::error_code ec);

  EventLoop& loop_;
  std::string host_{};
  std::uint16_t port_;
  ConnectOptions options_;
  Handler done_;
  Timer timer_;
  asio::ip::tcp::resolver resolver_;
  Socket socket_;
  bool finished_ = false;
};

}  // namespace faye::net
