#include "faye/net/proxy.hpp"

#include <asio/buffer.hpp>

#include "faye/driver/handshake.hpp"
#include "faye/error.hpp"
#include "faye/http/parser.hpp"
#include "faye/http/response.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/net/timer.hpp"

namespace faye::net {
namespace {

class ProxyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "proxy"; }
  std::string message(int status) const override {
    return "proxy refused CONNECT: " + std::to_string(status) + " " +
           std::string(http::reason_phrase(status));
  }
};

std::string authority(const std::string& host, std::uint16_t port) {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// One CONNECT exchange: write the request, read the response head, all
// non-blocking on the stream's socket, under one deadline.
class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  using Done = std::function<void(std::error_code, std::unique_ptr<Stream>)>;

  Exchange(EventLoop& loop, const ProxyTunnelOptions& options, std::unique_ptr<Stream> stream,
           Done done)
      : stream_(std::move(stream)),
        done_(std::move(done)),
        timer_(loop),
        parser_({.max_head_bytes = options.max_response_head}) {
    std::string target = authority(options.host, options.port);
    request_ = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
    if (!options.proxy.userinfo.empty() && !options.headers.contains("Proxy-Authorization")) {
      std::string credentials = http::percent_decode(options.proxy.userinfo);
      request_ += "Proxy-Authorization: Basic " +
                  driver::base64_encode(as_bytes(credentials)) + "\r\n";
    }
    for (const auto& [name, value] : options.headers) {
      request_.append(name).append(": ").append(value).append("\r\n");
    }
    request_ += "\r\n";
    timeout_ = options.timeout;
  }

  void start() {
    auto self = shared_from_this();
    timer_.start(timeout_, [self] { self->finish(make_error_code(Error::connect_timeout)); });
    write();
  }

 private:
  void write() {
    while (written_ < request_.size()) {
      asio::const_buffer buffer(request_.data() + written_, request_.size() - written_);
      IoResult result = stream_->write_some(std::span(&buffer, 1));
      written_ += result.bytes;
      if (result.error) return finish(result.error);
      if (result.wait != Wait::none) return wait(asio::socket_base::wait_write, &Exchange::write);
    }
    read();
  }

  void read() {
    // The reply is a short head: a small buffer of our own will do.
    std::uint8_t buffer[1024];
    for (;;) {
      IoResult result = stream_->read_some(MutableBytes(buffer, sizeof buffer));
      if (result.error) return finish(result.error);
      if (result.wait != Wait::none) return wait(asio::socket_base::wait_read, &Exchange::read);
      std::size_t used = parser_.parse(as_text(Bytes(buffer, result.bytes)));
      if (parser_.failed()) return finish(make_error_code(Error::bad_response));
      if (!parser_.complete()) continue;
      const http::ResponseHead& head = parser_.head();
      if (head.status < 200 || head.status > 299) {
        return finish(std::error_code(head.status, proxy_category()));
      }
      // Nothing may follow a 2xx before we speak: the tunnel starts clean.
      if (used != result.bytes) return finish(make_error_code(Error::bad_response));
      return finish({});
    }
  }

  void wait(asio::socket_base::wait_type type, void (Exchange::*next)()) {
    auto self = shared_from_this();
    stream_->socket().async_wait(type, [self, next](std::error_code error) {
      if (!self->done_) return;
      if (error) return self->finish(error);
      (self.get()->*next)();
    });
  }

  void finish(std::error_code error) {
    if (!done_) return;
    timer_.cancel();
    auto done = std::move(done_);
    done_ = nullptr;
    if (error) {
      std::error_code ignored;
      stream_->socket().close(ignored);
      done(error, nullptr);
    } else {
      done({}, std::move(stream_));
    }
  }

  std::unique_ptr<Stream> stream_;
  Done done_;
  Timer timer_;
  http::ResponseParser parser_;
  std::string request_;
  std::size_t written_ = 0;
  std::chrono::milliseconds timeout_;
};

}  // namespace

const std::error_category& proxy_category() noexcept {
  static const ProxyCategory category;
  return category;
}

ConnectOptions::Tunnel http_connect_tunnel(EventLoop& loop, ProxyTunnelOptions options) {
  return [&loop, options = std::move(options)](std::unique_ptr<Stream> stream, auto done) {
    std::make_shared<Exchange>(loop, options, std::move(stream), std::move(done))->start();
  };
}

}  // namespace faye::net
