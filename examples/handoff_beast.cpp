// Hand-off from Boost.Beast: a Beast HTTP server answers plain requests itself
// and gives its WebSocket upgrades to faye, which echoes every message.
//
// Beast runs on Boost.Asio, faye on standalone Asio: their socket objects are
// unrelated types, so the connection crosses over as what both agree on, the
// native descriptor, with the parsed head and the bytes Beast read past it (a
// draft-76 key3, or frames the client sent without waiting).
//
// The two Asios cannot even share a translation unit (both declare the same
// global helper namespaces, chriskohlhoff/asio#874), so this file is compiled
// twice: once as the faye side (FAYE_LOOP_SIDE, owns the faye loop) and once
// as the Beast side. Only faye/websocket.hpp, free of Asio, is seen by both.
//
//   handoff_beast [port [address]]    port 0 picks a free one; prints it
#include <string>

#include <faye/websocket.hpp>

// The seam between the two sides: plain C++ types only.
void start_faye_loop();
void hand_off(int fd, faye::http::Request request, std::string already_read);

#ifdef FAYE_LOOP_SIDE  // ---- faye side: standalone Asio ------------------------
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <iostream>
#include <thread>

#include <faye/net/event_loop.hpp>

namespace {
faye::net::EventLoop loop;
auto work = asio::make_work_guard(loop.context());  // run() even while no socket is open
}  // namespace

void start_faye_loop() {
  std::thread([] { loop.run(); }).detach();
}

void hand_off(int fd, faye::http::Request request, std::string already_read) {
  // WebSocket objects belong to their loop: adopt on the loop's thread.
  loop.post([fd, request = std::move(request), already_read = std::move(already_read)] {
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
  });
}

#else  // ---- Beast side: Boost.Asio --------------------------------------------
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <thread>

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

// One thread per connection, as Beast's synchronous server examples do.
void serve(tcp::socket socket) {
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
      if (!ec) hand_off(fd, std::move(head), std::move(already_read));
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
  start_faye_loop();
  for (;;) {
    tcp::socket socket(context);
    beast::error_code ec;
    acceptor.accept(socket, ec);
    if (!ec) std::thread(serve, std::move(socket)).detach();
  }
}
#endif
