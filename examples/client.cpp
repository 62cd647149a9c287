// A client with exactly the browser's interface: connect, send a greeting,
// print what comes back, close. Usage: client [ws://host:port/path]
#include <iostream>

#include <faye/net/event_loop.hpp>
#include <faye/websocket.hpp>

int main(int argc, char** argv) {
  faye::net::EventLoop loop;
  auto ws = faye::WebSocket::Client::connect(loop, argc > 1 ? argv[1] : "ws://localhost:9292/");
  ws->onopen = [&](const faye::OpenEvent&) { ws->send("Hello, world!"); };
  ws->onmessage = [&](const faye::MessageEvent& event) {
    std::cout << event.data.text() << '\n';
    ws->close();
  };
  ws->onerror = [](const faye::ErrorEvent& event) { std::cerr << event.message << '\n'; };
  ws->onclose = [](const faye::CloseEvent& event) {
    std::cout << "close " << event.code << ' ' << event.reason << '\n';
  };
  loop.run();
}
