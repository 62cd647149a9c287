// WebSocket::Client::connect: URL -> (proxy tunnel) -> TCP -> (TLS) ->
// RFC 6455 handshake -> an open socket, each phase with its deadline.
#include <stdexcept>

#include "core.hpp"
#include "faye/http/url.hpp"
#include "faye/net/connector.hpp"
#include "faye/net/proxy.hpp"
#include "faye/net/tls.hpp"

namespace faye {
namespace {

net::TlsContext client_tls_context(const TlsOptions& tls, std::error_code& error,
                                   std::string& what) {
  net::TlsClientConfig config{.ca_file = tls.ca_file,
                              .ca_dir = tls.ca_dir,
                              .cert_file = tls.cert_file,
                              .key_file = tls.key_file,
                              .insecure = tls.insecure};
  return net::make_client_context(config, error, &what);
}

// A client socket's Block, with its connection attempt until the transport
// is up: server sockets, the many, don't carry it.
class ClientBlock final : public WebSocket::Block {
 public:
  using WebSocket::Block::Block;
  std::shared_ptr<net::Connector> connector;

 private:
  void end_connecting(bool cancel) override {
    if (cancel && connector) connector->cancel();
    connector.reset();
  }
};

}  // namespace

std::shared_ptr<WebSocket> WebSocket::Client::connect(net::EventLoop& loop, std::string_view text,
                                                      Options options) {
  http::Url url = http::Url::parse(text);
  if (url.scheme != "ws" && url.scheme != "wss") {
    throw std::invalid_argument("unsupported scheme '" + url.scheme +
                                "': a WebSocket URL starts with ws:// or wss://");
  }
  std::optional<http::Url> proxy;
  if (!options.proxy.url.empty()) {
    proxy = http::Url::parse(options.proxy.url);
    if (proxy->scheme != "http") {
      throw std::invalid_argument("unsupported proxy scheme '" + proxy->scheme +
                                  "': only http:// proxies are supported");
    }
  }

  auto block = std::make_shared<ClientBlock>(
      loop, WebSocketOptions{.ping = options.ping,
                             .max_length = options.max_length,
                             .close_timeout = options.close_timeout,
                             .max_buffered_amount = options.max_buffered_amount});
  std::shared_ptr<WebSocket> socket = block;
  Core& core = *block;
  core.set_url({url.to_string()});
  core.mark_client();
  // Alive from the start: the attempt in progress (held by the Block) is
  // cancelled by close().
  core.keep_alive(socket);

  net::ConnectOptions connect;
  connect.resolve_timeout = options.connect_timeout;
  connect.connect_timeout = options.connect_timeout;
  connect.handshake_timeout = options.connect_timeout;
  connect.connection.write_buffer_limit = options.max_buffered_amount;
  if (url.secure()) {
    std::error_code error;
    std::string what;
    connect.tls = client_tls_context(options.tls, error, what);
    if (!connect.tls) {
      loop.post([socket, error, what] { socket->core().fail_connecting(error, "tls: " + what); });
      return socket;
    }
    connect.server_name = options.tls.server_name.empty() ? url.host : options.tls.server_name;
  }
  std::string host = url.host;
  std::uint16_t port = url.port;
  if (proxy) {
    connect.tunnel = net::http_connect_tunnel(
        loop, {.host = url.host, .port = url.port, .proxy = *proxy,
               .headers = options.proxy.headers, .timeout = options.connect_timeout});
    host = proxy->host;
    port = proxy->port;
  }

  driver::ClientOptions handshake{.protocols = options.protocols,
                                  .headers = options.headers,
                                  .origin = options.origin,
                                  .max_length = options.max_length,
                                  .extensions = options.extensions};
  std::weak_ptr<WebSocket> weak = socket;
  auto connector = net::Connector::connect(
      loop, host, port, std::move(connect),
      [weak, url, handshake = std::move(handshake),
       timeout = options.connect_timeout,
       max_buffered_amount = options.max_buffered_amount](net::ConnectResult result) mutable {
        auto socket = weak.lock();
        if (!socket) return;
        Core& core = socket->core();
        if (!result) return core.fail_connecting(result.error, result.message());
        core.attach(result.connection, max_buffered_amount);
        core.start_client(url, std::move(handshake), timeout);
      });
  block->connector = std::move(connector);
  return socket;
}

}  // namespace faye
