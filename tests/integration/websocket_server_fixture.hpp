// A faye::http::Server that accepts WebSockets and echoes them, on its own
// thread, plus a client side driven from the test's thread. Server-side
// events are recorded under a lock so that tests can wait for them.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "faye/http/server.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/websocket.hpp"

namespace faye::test {

using namespace std::chrono_literals;

// What one socket saw, filled in by its handlers.
struct Observed {
  bool opened = false;
  std::vector<std::string> messages;
  std::vector<bool> binary;
  std::vector<ErrorEvent> errors;
  std::optional<CloseEvent> closed;
};

// Attaches recording handlers to a client socket.
inline std::shared_ptr<Observed> observe(const std::shared_ptr<WebSocket>& ws) {
  auto seen = std::make_shared<Observed>();
  ws->onopen = [seen](const OpenEvent&) { seen->opened = true; };
  ws->onmessage = [seen](const MessageEvent& e) {
    seen->messages.push_back(e.data.to_string());
    seen->binary.push_back(e.data.is_binary());
  };
  ws->onerror = [seen](const ErrorEvent& e) { seen->errors.push_back(e); };
  ws->onclose = [seen](const CloseEvent& e) { seen->closed = e; };
  return seen;
}

class WebSocketServerTest : public ::testing::Test {
 protected:
  // Set before start(): options for accepted sockets, and a hook that runs on
  // the server's loop for each accepted socket (after the echo handler is set).
  WebSocket::Options options;
  std::function<void(const std::shared_ptr<WebSocket>&)> setup;

  std::unique_ptr<http::Server> server;
  net::EventLoop loop;  // the clients' loop, run by the test's thread

  void start(http::ServerOptions server_options = {}) {
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    server = std::make_unique<http::Server>(server_options, [this](http::Request& request) {
      if (!WebSocket::is_websocket(request)) {
        return http::Response{200, {{"Content-Type", "text/plain"}}, "plain"};
      }
      auto ws = WebSocket::accept(request, options);
      WebSocket* raw = ws.get();  // alive until onclose: the library holds it
      ws->onmessage = [raw](const MessageEvent& e) { raw->send(e.data); };
      ws->onerror = [this](const ErrorEvent& e) { record([&] { server_errors.push_back(e); }); };
      ws->onclose = [this](const CloseEvent& e) { record([&] { server_closes.push_back(e); }); };
      {
        std::lock_guard lock(mutex);
        server_sockets.push_back(ws);
      }
      if (setup) setup(ws);
      return http::Response::hijacked();
    });
    server->start();
  }

  // Stops the server while running the clients' loop, so that open clients
  // answer its 1001 and everything closes cleanly (nothing left to leak).
  void TearDown() override {
    if (!server) return;
    server->stop();
    std::atomic<bool> stopped{false};
    std::thread waiter([&] {
      server->wait();
      stopped = true;
      loop.post([] {});  // wake the loop so that run_until sees it
    });
    loop.run_until([&] { return stopped.load(); }, 15s);
    waiter.join();
    loop.run_for(50ms);  // let closed sockets release themselves
  }

  std::string url(std::string_view path = "/") const {
    return "ws://127.0.0.1:" + std::to_string(server->port()) + std::string(path);
  }

  // Runs the client loop until `done` or 10 s.
  template <class Predicate>
  bool run_until(Predicate done, std::chrono::milliseconds timeout = 10s) {
    return loop.run_until(done, timeout);
  }

  // Waits (without running the client loop) for a server-side condition.
  // Re-checks every 10 ms too: some conditions (an expired weak_ptr) change
  // without a notification.
  template <class Predicate>
  bool server_eventually(Predicate done, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex);
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      changed.wait_for(lock, 10ms);
    }
    return true;
  }

  template <class F>
  void record(F&& change) {
    {
      std::lock_guard lock(mutex);
      change();
    }
    changed.notify_all();
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::weak_ptr<WebSocket>> server_sockets;
  std::vector<ErrorEvent> server_errors;
  std::vector<CloseEvent> server_closes;
};

}  // namespace faye::test
