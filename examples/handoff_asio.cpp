// Hand-off from a plain Asio server: it reads request heads itself, answers
// plain requests, and gives WebSocket upgrades to faye, which echoes every
// message.
//
// The server's sockets live on its own io_context, so the connection crosses
// over as a native descriptor with the parsed head and the bytes read past it
// (read_until reads in chunks: a draft-76 key3 or early frames may be there).
//
//   handoff_asio [port [address]]    port 0 picks a free one; prints it
#include <unistd.h>

// The standard headers first: Asio's configuration reads libstdc++'s
// (_GLIBCXX_HAVE_ALIGNED_ALLOC), and must see what the library's files see,
// or its inline allocator (aligned_alloc/free vs new/delete) differs between
// them (AddressSanitizer: alloc-dealloc-mismatch).
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include <asio/buffers_iterator.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <faye/http/parser.hpp>
#include <faye/http/response.hpp>
#include <faye/net/event_loop.hpp>
#include <faye/websocket.hpp>

using asio::ip::tcp;

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

void serve(tcp::socket socket, faye::net::EventLoop& loop) {
  asio::streambuf buffer(16 * 1024);  // bounds the head: read_until fails beyond it
  asio::error_code ec;
  asio::read_until(socket, buffer, "\r\n\r\n", ec);
  if (ec) return;
  const auto data = buffer.data();
  const std::string bytes(asio::buffers_begin(data), asio::buffers_end(data));

  faye::http::RequestParser parser;
  const std::size_t head_size = parser.parse(bytes);
  faye::http::Response response{200, {{"Content-Type", "text/plain"}}, "Hello from Asio\n"};
  if (parser.complete() && parser.upgrade() && faye::WebSocket::is_websocket(parser.request())) {
    const int fd = socket.release(ec);  // Asio lets go without closing
    if (ec) return;
    loop.post([&loop, fd, request = parser.take(), rest = bytes.substr(head_size)] {
      adopt(loop, fd, request, rest);
    });
    return;
  }
  if (!parser.complete()) {  // malformed, or a body we did not read: keep it simple
    response = {parser.failed() ? parser.error_status() : 400, {}, {}};
  }
  response.headers.add("Connection", "close");
  asio::write(socket, asio::buffer(response.serialize()), ec);
}

int main(int argc, char** argv) {
  const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0);
  const auto address = asio::ip::make_address(argc > 2 ? argv[2] : "127.0.0.1");

  asio::io_context context;
  tcp::acceptor acceptor(context, {address, port});
  std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;

  faye::net::EventLoop loop;
  auto work = asio::make_work_guard(loop.context());  // run() even while no socket is open
  std::thread loop_thread([&loop] { loop.run(); });

  for (;;) {
    tcp::socket socket(context);
    asio::error_code ec;
    acceptor.accept(socket, ec);
    if (!ec) std::thread(serve, std::move(socket), std::ref(loop)).detach();
  }
}
