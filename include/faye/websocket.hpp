// faye::WebSocket: the browser's WebSocket API for C++ servers and clients.
//
//   if (faye::WebSocket::is_websocket(request)) {
//     auto ws = faye::WebSocket::accept(request);
//     ws->onmessage = [ws](const faye::MessageEvent& e) { ws->send(e.data); };
//     return faye::http::Response::hijacked();
//   }
//
// Threads: events run on the socket's event loop. send(), ping() and close()
// may be called from any thread (they are posted to the loop); ready_state()
// and buffered_amount() may be read from any thread. Lifetime: the library
// keeps an open socket alive until onclose has run, then drops the handlers,
// so a handler that captures the socket's shared_ptr forms no lasting cycle.
// No handler runs after onclose.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faye/bytes.hpp"
#include "faye/driver/driver.hpp"
#include "faye/driver/extensions.hpp"
#include "faye/event_handler.hpp"
#include "faye/events.hpp"
#include "faye/http/headers.hpp"
#include "faye/http/request.hpp"

namespace faye {

namespace net {
class EventLoop;
class Connection;
}  // namespace net

struct WebSocketOptions {
  // Server: the subprotocols spoken; the client's first match is chosen.
  std::vector<std::string> protocols{};
  // Server: extra handshake response headers.
  http::Headers headers{};
  // Sends a ping this often; zero disables it.
  std::chrono::milliseconds ping{0};
  // Largest message accepted; larger ones close with 1009.
  std::size_t max_length = driver::default_max_length;
  // After our close frame, how long the peer has to answer before the
  // connection is dropped (reported as 1006).
  std::chrono::milliseconds close_timeout{5000};
  // A peer that lets this many outgoing bytes pile up is disconnected
  // (error, then close 1006), so a slow reader cannot exhaust memory.
  std::size_t max_buffered_amount = 64 * 1024 * 1024;
  // Extensions the server accepts, in order of preference, e.g.
  // std::make_shared<driver::PermessageDeflate>(). None by default.
  driver::ExtensionList extensions{};
};

// Per-message choices for send().
struct SendOptions {
  // false: send this message uncompressed even when permessage-deflate is on
  // (already-compressed data, latency-sensitive messages).
  bool compress = true;
};

class WebSocket {
 public:
  using Options = WebSocketOptions;
  class Client;  // ws:// and wss:// connections, below

  // GET with Upgrade: websocket and Connection: Upgrade (any version).
  static bool is_websocket(const http::Request& request);

  // Takes over the connection the request arrived on (from faye::http::Server)
  // and answers the handshake. An invalid handshake is refused with 400/426;
  // the returned socket then reports error and close. The application returns
  // http::Response::hijacked().
  static std::shared_ptr<WebSocket> accept(http::Request& request, const Options& options = {});

  // Hand-off from another server: `socket` is a connected TCP descriptor the
  // caller gives up, `request` the upgrade request it parsed, `already_read`
  // any bytes it read past the request head (they are processed first).
  // Returns null if the descriptor is unusable.
  static std::shared_ptr<WebSocket> adopt(net::EventLoop& loop, int socket,
                                          const http::Request& request, Bytes already_read,
                                          const Options& options = {});

  // Set like std::function (any callable, nullptr); 16 bytes each, see
  // faye/event_handler.hpp.
  EventHandler<void(const OpenEvent&)> onopen;
  EventHandler<void(const MessageEvent&)> onmessage;
  EventHandler<void(const ErrorEvent&)> onerror;
  EventHandler<void(const CloseEvent&)> onclose;
  // The outgoing buffer has emptied after having filled up.
  EventHandler<void()> ondrain;

  // Each returns false, sending nothing, unless the socket is open (or, from
  // another thread, was open when called).
  bool send(std::string_view text, SendOptions options = {});
  bool send(const char* text, SendOptions options = {}) {
    return send(std::string_view(text), options);
  }
  bool send(Bytes binary, SendOptions options = {});
  bool send(const MessageData& message);
  // `on_pong` runs when the matching pong arrives. Payload at most 125 bytes.
  bool ping(std::string_view payload = {}, std::function<void()> on_pong = {});
  void close(std::uint16_t code = driver::close_code::normal, std::string_view reason = {});

  ReadyState ready_state() const;
  std::size_t buffered_amount() const;
  std::string protocol() const;    // the subprotocol agreed, or ""
  std::string version() const;     // "hixie-75", "hixie-76", "hybi-13", ...
  std::string url() const;         // ws[s]://host/path?query
  std::string extensions() const;  // the negotiated Sec-WebSocket-Extensions
  net::EventLoop& loop() const;

  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  class Core;   // the machinery, in src/websocket/
  class Block;  // a WebSocket and its Core in one allocation

 private:
  WebSocket();
  // The other half of the Block this socket is part of (src/websocket/core.hpp).
  Core& core() const noexcept;
};

// TLS settings of a client. By default the server's certificate chain AND its
// host name are verified against the system's trust store, with SNI sent.
struct TlsOptions {
  std::string ca_file{};      // PEM bundle of trusted CAs instead of the system's
  std::string ca_dir{};       // OpenSSL hashed directory of trusted CAs
  std::string cert_file{};    // client certificate (PEM), with key_file
  std::string key_file{};
  std::string server_name{};  // name for SNI and verification instead of the URL's host
  bool insecure = false;    // no verification at all: for tests against self-signed servers
};

// An HTTP proxy reached with CONNECT. Credentials in the URL
// (http://user:pass@host:3128) are sent as Proxy-Authorization: Basic.
struct ProxyOptions {
  std::string url{};          // empty: connect directly
  http::Headers headers{};    // extra headers for the CONNECT request
};

struct ClientOptions {
  std::vector<std::string> protocols{};  // subprotocols offered, preferred first
  http::Headers headers{};               // extra request headers (Authorization, Cookie, ...)
  std::string origin{};                  // Origin header, if any
  std::chrono::milliseconds ping{0};   // automatic ping interval; zero disables it
  std::size_t max_length = driver::default_max_length;
  // Each phase of the connection attempt (DNS, TCP, proxy, TLS, handshake)
  // fails with an error event after this long.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds close_timeout{5000};
  std::size_t max_buffered_amount = 64 * 1024 * 1024;
  TlsOptions tls{};
  ProxyOptions proxy{};
  // Extensions offered, e.g. std::make_shared<driver::PermessageDeflate>().
  driver::ExtensionList extensions{};
};

class WebSocket::Client {
 public:
  using Options = ClientOptions;
  // Starts connecting to a ws:// or wss:// URL (host name, IPv4 or [IPv6]
  // literal, port, path and query). Throws std::invalid_argument at once for a
  // malformed URL or another scheme; every later failure (DNS, refused,
  // timeout, TLS, proxy, handshake) is an error event, then close 1006.
  static std::shared_ptr<WebSocket> connect(net::EventLoop& loop, std::string_view url,
                                            Options options = {});
};

}  // namespace faye
