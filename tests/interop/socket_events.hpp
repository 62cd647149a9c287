// Records what a WebSocket's handlers saw, for assertions in the interop
// tests: the open, every message in order, errors, the close, and any event
// that fired after onclose (none may).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "faye/events.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/websocket.hpp"

namespace faye::test {

struct ReceivedMessage {
  bool text;
  std::string data;
  bool operator==(const ReceivedMessage&) const = default;
};

inline void PrintTo(const ReceivedMessage& message, std::ostream* out) {
  *out << (message.text ? "text of " : "binary of ") << message.data.size() << " bytes";
  if (message.data.size() <= 64) *out << " \"" << message.data << '"';
}

struct SocketEvents {
  bool opened = false;
  std::vector<ReceivedMessage> messages;
  std::vector<std::string> errors;
  std::optional<CloseEvent> closed;
  int calls_after_close = 0;

  void watch(WebSocket& socket) {
    socket.onopen = [this](const OpenEvent&) {
      late();
      opened = true;
    };
    socket.onmessage = [this](const MessageEvent& event) {
      late();
      messages.push_back({event.data.is_text(), event.data.to_string()});
    };
    socket.onerror = [this](const ErrorEvent& event) {
      late();
      errors.push_back(event.message);
    };
    socket.onclose = [this](const CloseEvent& event) {
      late();
      closed = event;
    };
  }

  // A close event with `code` and `reason`, clean, and no error event: what
  // a completed closing handshake gives, started by either side.
  ::testing::AssertionResult closed_cleanly(std::uint16_t code, std::string_view reason) const {
    if (!closed) return ::testing::AssertionFailure() << "no close event; " << describe();
    if (closed->code != code || closed->reason != reason || !closed->was_clean ||
        !errors.empty()) {
      return ::testing::AssertionFailure()
             << "expected a clean close " << code << " '" << reason << "'"
             << (closed->was_clean ? "" : ", got an unclean one") << "; " << describe();
    }
    return ::testing::AssertionSuccess();
  }

  std::string describe() const {
    std::string out = opened ? "opened" : "never opened";
    out += ", " + std::to_string(messages.size()) + " messages";
    for (const auto& error : errors) out += "\n  error: " + error;
    if (closed) out += "\n  close: " + std::to_string(closed->code) + " '" + closed->reason + "'";
    return out;
  }

 private:
  void late() {
    if (closed) ++calls_after_close;
  }
};

// A client socket on its own loop, with its events recorded; every wait is
// bounded by `wait_limit` and also ends when the socket closes.
class RecordedClient {
 public:
  RecordedClient(const std::string& url, WebSocket::Client::Options options,
                 std::chrono::milliseconds wait_limit)
      : wait_limit_(wait_limit) {
    socket_ = WebSocket::Client::connect(loop_, url, std::move(options));
    events.watch(*socket_);
  }
  RecordedClient(const RecordedClient&) = delete;
  RecordedClient& operator=(const RecordedClient&) = delete;
  ~RecordedClient() {
    if (!events.closed) {
      socket_->close();
      loop_.run_until([&] { return events.closed.has_value(); }, std::chrono::seconds(6));
    }
  }

  WebSocket& socket() { return *socket_; }
  net::EventLoop& loop() { return loop_; }
  bool opens() {
    loop_.run_until([&] { return events.opened || events.closed; }, wait_limit_);
    return events.opened && !events.closed;
  }
  bool receives(std::size_t count) {
    return runs_until([&] { return events.messages.size() >= count; });
  }
  bool closes() {
    return loop_.run_until([&] { return events.closed.has_value(); }, wait_limit_);
  }
  bool runs_until(const std::function<bool()>& done) {
    return loop_.run_until([&] { return done() || events.closed.has_value(); }, wait_limit_) &&
           done();
  }
  // Closes (if still open) and runs the loop a moment longer, so that an
  // event fired after onclose would be counted in events.calls_after_close.
  void close_and_settle() {
    socket_->close();
    loop_.run_until([&] { return events.closed.has_value(); }, std::chrono::seconds(6));
    loop_.run_for(std::chrono::milliseconds(20));
  }

  SocketEvents events;

 private:
  std::chrono::milliseconds wait_limit_;
  net::EventLoop loop_;  // before the socket: outlives it
  std::shared_ptr<WebSocket> socket_;
};

}  // namespace faye::test
