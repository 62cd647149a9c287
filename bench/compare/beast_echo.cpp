// beast_echo: a Boost.Beast WebSocket echo server, a peer in bench/compare.
//
//     beast_echo PORT [--deflate]     (0 picks a free port; prints `listening on PORT`)
//
// Asynchronous, one io_context on one thread, on 127.0.0.1: each session reads
// a message and writes it back with the same type, as Beast's own async echo
// example does. Beast answers pings and completes closes by itself. With
// --deflate it agrees to permessage-deflate when the client offers it.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, bool deflate) : ws_(std::move(socket)) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    if (deflate) {
      websocket::permessage_deflate options;
      options.server_enable = true;
      ws_.set_option(options);
    }
  }

  void start() {
    ws_.async_accept([self = shared_from_this()](beast::error_code error) {
      if (!error) self->read();
    });
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code error, std::size_t) {
      if (error) return;  // closed by the peer (Beast answered the close) or failed
      self->ws_.text(self->ws_.got_text());
      self->ws_.async_write(self->buffer_.data(), [self](beast::error_code error, std::size_t) {
        if (error) return;
        self->buffer_.consume(self->buffer_.size());
        self->read();
      });
    });
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
};

void accept_loop(tcp::acceptor& acceptor, bool deflate) {
  acceptor.async_accept([&acceptor, deflate](beast::error_code error, tcp::socket socket) {
    if (!error) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket), deflate)->start();
    }
    accept_loop(acceptor, deflate);
  });
}

}  // namespace

int main(int argc, char** argv) {
  bool deflate = argc == 3 && std::strcmp(argv[2], "--deflate") == 0;
  char* end = nullptr;
  long port = argc >= 2 ? std::strtol(argv[1], &end, 10) : -1;
  if (argc < 2 || argc > 3 || (argc == 3 && !deflate) || *end || port < 0 || port > 65535) {
    std::fprintf(stderr, "usage: beast_echo PORT [--deflate]   (0 picks a free port)\n");
    return 2;
  }

  asio::io_context loop(1);
  tcp::acceptor acceptor(loop,
                         {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  accept_loop(acceptor, deflate);
  asio::signal_set stop(loop, SIGTERM, SIGINT);
  stop.async_wait([&loop](beast::error_code, int) { loop.stop(); });

  std::printf("listening on %u\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  loop.run();
}
