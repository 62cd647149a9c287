// Records what a WebSocket's handlers saw, for assertions in the interop
// tests: the open, every message in order, errors, the close, and any event
// that fired after onclose (none may).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "faye/events.hpp"
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

}  // namespace faye::test
