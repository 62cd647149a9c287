// Hand-off from Boost.Beast: a Beast HTTP server answers plain requests itself
// and gives its WebSocket upgrades to faye, which echoes every message.
//
// Beast runs on Boost.Asio, faye on standalone Asio: two libraries that cannot
// share a socket object, so the connection crosses over as what both agree on,
// the native descriptor, along with the parsed head and the bytes Beast read
// past it (a draft-76 key3, or frames the client sent without waiting).
//
//   handoff_beast [port [address]]    port 0 picks a free one; prints it
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <faye/net/event_loop.hpp>
#include <faye/websocket.hpp>

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

faye::http::Request to_faye(const bhttp::request<bhttp::string_body>& in) {
  faye::http::Request out;
  out.method = std::string(in.method_string());
  out.target = std::string(in.target());
  out.version_major = static_cast<int>(in.version() / 10);
  out.version_minor = static_cast<int>(in.version() % 10);
  for (const auto& field : in) {
    out.headers.add(std::string(field.name_string()), std::string(field.value()));
  }
  return out;
}

// Runs on the faye loop's thread: WebSocket objects belong to their loop.
void adopt(faye::net::EventLoop& loop, int fd, const faye::http::Request& request,
           const std::string& already_read) {
  auto ws = faye::WebSocket::adopt(loop, fd, request, faye::as_bytes(already_read));
  if (!ws) {  // not a TCP socket after all: it is still ours to close
    ::close(fd);
    return;
  }
  // Capturing `ws` is safe: the library drops the handlers after onclose.
  ws->onmessage = [ws](const faye::MessageEvent& event) { ws->send(event.data); };
  ws->onclose = [](const faye::CloseEvent& event) {
    std::cout << "close " << event.code << ' ' << event.reason << std::endl;
  };
}

// One thread per connection, as Beast's synchronous server examples do.
void serve(tcp::socket socket, faye::net::EventLoop& loop) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    bhttp::request<bhttp::string_body> request;
    bhttp::read(socket, buffer, request, ec);
    if (ec) return;
    faye::http::Request head = to_faye(request);
    if (faye::WebSocket::is_websocket(head)) {
      // An upgrade request has no body for Beast: what the buffer holds past
      // the head already belongs to the WebSocket.
      const auto rest = buffer.data();
      std::string already_read(static_cast<const char*>(rest.data()), rest.size());
      const int fd = socket.release(ec);  // Boost.Asio lets go without closing
      if (ec) return;
      loop.post([&loop, fd, head = std::move(head), already_read = std::move(already_read)] {
        adopt(loop, fd, head, already_read);
      });
      return;
    }
    bhttp::response<bhttp::string_body> response{bhttp::status::ok, request.version()};
    response.set(bhttp::field::content_type, "text/plain");
    response.keep_alive(request.keep_alive());
    response.body() = "Hello from Beast\n";
    response.prepare_payload();
    bhttp::write(socket, response, ec);
    if (ec || !response.keep_alive()) return;
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0);
  const auto address = boost::asio::ip::make_address(argc > 2 ? argv[2] : "127.0.0.1");

  boost::asio::io_context context;
  tcp::acceptor acceptor(context, {address, port});
  std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;

  faye::net::EventLoop loop;
  auto work = asio::make_work_guard(loop.context());  // run() even while no socket is open
  std::thread loop_thread([&loop] { loop.run(); });
  for (;;) {
    tcp::socket socket(context);
    beast::error_code ec;
    acceptor.accept(socket, ec);
    if (!ec) std::thread(serve, std::move(socket), std::ref(loop)).detach();
  }
}
