// Test doubles for the sans-I/O driver: a Handler that records every event
// as a line of text and keeps every byte written, and a frame builder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "faye/driver/driver.hpp"
#include "faye/driver/frame.hpp"
#include "faye/http/request.hpp"

namespace faye::driver::test {

struct Recorder : Handler {
  std::string written;     // the bytes for the peer
  std::size_t writes = 0;  // in how many write() calls
  std::vector<std::string> events;
  std::vector<std::string> messages;  // payloads of message events, in order
  std::uint16_t close_code = 0;
  std::string close_reason;
  std::error_code error;

  void write(Bytes bytes) override {
    written.append(as_text(bytes));
    ++writes;
  }
  std::string take_written() { return std::exchange(written, {}); }
  void on_open() override { events.push_back("open"); }
  void on_message(const Message& message) override {
    messages.emplace_back(message.text());
    events.push_back(std::string(message.is_text() ? "text:" : "binary:") +
                     std::string(message.text()));
  }
  void on_ping(Bytes payload) override { events.push_back("ping:" + std::string(as_text(payload))); }
  void on_pong(Bytes payload) override { events.push_back("pong:" + std::string(as_text(payload))); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    close_code = code;
    close_reason = reason;
    events.push_back("close:" + std::to_string(code));
  }
  void on_error(std::error_code e, std::string_view message) override {
    error = e;
    events.push_back("error:" + std::string(message));
  }
};

// One frame on the wire. `first_byte` carries FIN, RSV and the opcode.
inline std::string frame(std::uint8_t first_byte, std::string_view payload,
                         std::optional<MaskKey> mask = MaskKey{1, 2, 3, 4}) {
  FrameHeader header;
  header.fin = (first_byte & kFin) != 0;
  header.rsv = first_byte & 0x70;
  header.opcode = first_byte & 0x0F;
  header.length = payload.size();
  header.masked = mask.has_value();
  if (mask) header.mask = *mask;
  std::uint8_t head[kMaxHeaderSize];
  std::size_t size = encode_header(head, header);
  std::string out(reinterpret_cast<const char*>(head), size);
  std::string body(payload);
  if (mask) mask_in_place(MutableBytes(reinterpret_cast<std::uint8_t*>(body.data()), body.size()), *mask);
  return out + body;
}

inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string out{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  return out.append(reason);
}

inline http::Request hybi_request(std::string version = "13") {
  http::Request request;
  request.method = "GET";
  request.target = "/chat";
  request.headers = {{"Host", "server.example.com"},
                     {"Upgrade", "websocket"},
                     {"Connection", "Upgrade"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"Origin", "http://example.com"},
                     {"Sec-WebSocket-Version", std::move(version)}};
  return request;
}

}  // namespace faye::driver::test
