// Test doubles for the sans-I/O drivers: a Handler that records every event
// as a line of text (so a whole exchange compares with one EXPECT_EQ) and
// collects the bytes written to the peer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "faye/bytes.hpp"
#include "faye/driver/driver.hpp"

namespace faye::driver::testing {

class RecordingHandler : public Handler {
 public:
  // Every event in order: "open", "message:<text>", "binary:<bytes>",
  // "ping:<payload>", "pong:<payload>", "error:<code value>:<message>",
  // "close:<code>:<reason>".
  std::vector<std::string> events;
  std::vector<std::string> messages;
  std::error_code error;
  // The bytes written to the peer, and in how many writes.
  std::string written;
  std::size_t writes = 0;
  // Optional reactions, to test a handler calling back into the driver.
  std::function<void()> when_open;
  std::function<void(const Message&)> when_message;
  std::function<void()> when_error;

  bool opened() const { return contains_prefix("open"); }
  bool closed() const { return contains_prefix("close:"); }
  // Returns what was written since the last call, and starts counting anew.
  std::string take_written() {
    writes = 0;
    return std::exchange(written, {});
  }

  void write(Bytes data) override {
    written.append(as_text(data));
    ++writes;
  }

  void on_open() override {
    events.emplace_back("open");
    if (when_open) when_open();
  }
  void on_message(const Message& message) override {
    std::string data(as_text(message.data));
    events.push_back((message.is_text() ? "message:" : "binary:") + data);
    messages.push_back(data);
    if (when_message) when_message(message);
  }
  void on_ping(Bytes payload) override {
    events.push_back("ping:" + std::string(as_text(payload)));
  }
  void on_pong(Bytes payload) override {
    events.push_back("pong:" + std::string(as_text(payload)));
  }
  void on_error(std::error_code code, std::string_view message) override {
    error = code;
    events.push_back("error:" + std::to_string(code.value()) + ":" + std::string(message));
    if (when_error) when_error();
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back("close:" + std::to_string(code) + ":" + std::string(reason));
  }

 private:
  bool contains_prefix(std::string_view prefix) const {
    for (const auto& event : events) {
      if (std::string_view(event).starts_with(prefix)) return true;
    }
    return false;
  }
};

// Builds a byte string from numbers: bytes({0x00, 'H', 0xFF}).
inline std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

}  // namespace faye::driver::testing
