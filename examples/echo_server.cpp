// The seed's Rack echo server, in C++: every WebSocket message comes back as
// it was sent; plain HTTP requests get "Hello". Try it: ws://localhost:9292/
#include <iostream>

#include <faye/http/server.hpp>
#include <faye/websocket.hpp>

int main() {
  faye::http::Server server({.port = 9292}, [](faye::http::Request& request) {
    if (faye::WebSocket::is_websocket(request)) {
      auto ws = faye::WebSocket::accept(request);  // takes the connection over
      ws->onmessage = [ws](const faye::MessageEvent& event) { ws->send(event.data); };
      ws->onclose = [](const faye::CloseEvent& event) {
        std::cout << "close " << event.code << ' ' << event.reason << std::endl;
      };
      return faye::http::Response::hijacked();  // Rack's [-1, {}, []]
    }
    return faye::http::Response{200, {{"Content-Type", "text/plain"}}, "Hello"};
  });
  server.run();
}
