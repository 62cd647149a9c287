#include "faye/net/connector.hpp"

#include <asio/connect.hpp>
#include <asio/error.hpp>

#include "faye/error.hpp"
#include "faye/net/event_loop.hpp"

namespace faye::net {

std::string_view to_string(ConnectPhase phase) noexcept {
  switch (phase) {
    case ConnectPhase::resolve:
      return "dns";
    case ConnectPhase::connect:
      return "connect";
    case ConnectPhase::tunnel:
      return "proxy";
    case ConnectPhase::tls:
      return "tls";
  }
  return "connect";
}

std::string ConnectResult::message() const {
  if (!error) return {};
  const bool v6 = host.find(':') != std::string::npos;
  const std::string where = (v6 ? '[' + host + ']' : host) + ':' + std::to_string(port);
  return std::string(to_string(phase)) + ": " + error.message() + " (" + where + ')';
}

std::shared_ptr<Connector> Connector::connect(EventLoop& loop, std::string host, std::uint16_t port,
                                              ConnectOptions options, Handler done) {
  std::shared_ptr<Connector> connector(
      new Connector(loop, std::move(host), port, std::move(options), std::move(done)));
  connector->start();
  return connector;
}

Connector::Connector(EventLoop& loop, std::string host, std::uint16_t port, ConnectOptions options,
                     Handler done)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      options_(std::move(options)),
      done_(std::move(done)),
      timer_(loop),
      resolver_(loop.context()),
      socket_(loop.context()) {}

void Connector::start() {
  // Posted, so that `done` never runs inside connect().
  loop_.post([self = shared_from_this()] { self->resolve(); });
}

void Connector::cancel() {
  finished_ = true;
  done_ = nullptr;
  timer_.cancel();
  resolver_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
}

void Connector::resolve() {
  if (finished_) return;
  timer_.start(options_.resolve_timeout, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->fail(ConnectPhase::resolve, asio::error::timed_out);
  });
  resolver_.async_resolve(
      host_, std::to_string(port_), asio::ip::tcp::resolver::numeric_service,
      [self = shared_from_this()](const std::error_code& ec,
                                  asio::ip::tcp::resolver::results_type results) {
        if (self->finished_) return;
        if (ec) return self->fail(ConnectPhase::resolve, ec);
        if (results.empty()) return self->fail(ConnectPhase::resolve, asio::error::host_not_found);
        self->connect_to(std::move(results));
      });
}

void Connector::connect_to(asio::ip::tcp::resolver::results_type endpoints) {
  timer_.start(options_.connect_timeout, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->fail(ConnectPhase::connect, Error::connect_timeout);
  });
  // Each address in turn (IPv6 and IPv4 as the resolver orders them) until
  // one accepts; closing the socket on timeout ends the whole sequence.
  asio::async_connect(
      socket_, endpoints,
      [self = shared_from_this()](const std::error_code& ec, const asio::ip::tcp::endpoint&) {
        if (self->finished_) return;
        if (ec) return self->fail(ConnectPhase::connect, ec);
        self->timer_.cancel();
        std::error_code ignored;
        self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
        self->after_connect(std::make_unique<TcpStream>(std::move(self->socket_)));
      });
}

void Connector::after_connect(std::unique_ptr<Stream> stream) {
  if (!options_.tunnel) return start_tls(std::move(stream));
  options_.tunnel(std::move(stream), [self = shared_from_this()](std::error_code ec,
                                                                 std::unique_ptr<Stream> stream) {
    if (self->finished_) return;
    if (ec) return self->fail(ConnectPhase::tunnel, ec);
    if (!stream)
      return self->fail(ConnectPhase::tunnel, std::make_error_code(std::errc::invalid_argument));
    self->start_tls(std::move(stream));
  });
}

void Connector::start_tls(std::unique_ptr<Stream> stream) {
  if (!options_.tls || stream->is_secure()) return succeed(std::move(stream));
  std::error_code ec;
  const std::string& name = options_.server_name.empty() ? host_ : options_.server_name;
  auto tls = TlsStream::create(std::move(stream->socket()), options_.tls, TlsStream::Role::client,
                               name, ec);
  if (!tls) return fail(ConnectPhase::tls, ec);
  async_handshake(loop_, std::move(tls), options_.handshake_timeout,
                  [self = shared_from_this()](std::error_code ec, std::unique_ptr<TlsStream> tls) {
                    if (self->finished_) return;
                    if (ec) return self->fail(ConnectPhase::tls, ec);
                    self->succeed(std::move(tls));
                  });
}

void Connector::succeed(std::unique_ptr<Stream> stream) {
  finished_ = true;
  timer_.cancel();
  auto done = std::move(done_);
  done_ = nullptr;
  ConnectResult result;
  result.connection = Connection::create(loop_, std::move(stream), options_.connection);
  result.host = host_;
  result.port = port_;
  if (done) done(std::move(result));
}

void Connector::fail(ConnectPhase phase, std::error_code ec) {
  if (finished_) return;
  finished_ = true;
  timer_.cancel();
  resolver_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
  auto done = std::move(done_);
  done_ = nullptr;
  ConnectResult result;
  result.error = ec;
  result.phase = phase;
  result.host = host_;
  result.port = port_;
  if (done) done(std::move(result));
}

}  // namespace faye::net
