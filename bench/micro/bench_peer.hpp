// What the driver benchmarks share: the message sizes, payload generators,
// a handler that costs next to nothing, and drivers already open.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "faye/driver/client.hpp"
#include "faye/driver/driver.hpp"
#include "faye/driver/frame.hpp"
#include "faye/driver/handshake.hpp"
#include "faye/driver/hybi.hpp"
#include "faye/http/request.hpp"
#include "faye/http/url.hpp"

namespace faye::bench {

using driver::MaskKey;
using driver::Opcode;

// 16 B, 1 KiB, 64 KiB, 1 MiB: one per benchmark family.
inline void message_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t size : {16, 1 << 10, 64 << 10, 1 << 20}) b->Arg(size);
}

// Printable ASCII, `size` bytes.
inline std::string ascii_text(std::size_t size) {
  std::string out(size, ' ');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>(' ' + (i * 7) % 95);
  return out;
}

// Mixed 1- to 4-byte UTF-8 characters, cut on a character boundary and padded
// with ASCII to exactly `size` bytes. Every lead byte of the set stays a valid
// lead with a valid continuation when its low bit flips (see kUtf8ToggleKey).
inline std::string multibyte_text(std::size_t size) {
  // "hélö €日本語😀wαЖ!"
  constexpr std::string_view kSample =
      "h\xC3\xA9l\xC3\xB6 \xE2\x82\xAC\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\xF0\x9F\x98\x80"
      "w\xCE\xB1\xD0\x96!";
  auto char_size = [](char lead) -> std::size_t {
    auto byte = static_cast<std::uint8_t>(lead);
    return byte < 0x80 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4;
  };
  std::string out;
  out.reserve(size);
  for (std::size_t at = 0;; at = (at + char_size(kSample[at])) % kSample.size()) {
    std::size_t n = char_size(kSample[at]);
    if (out.size() + n > size) break;
    out.append(kSample.substr(at, n));
  }
  out.append(size - out.size(), 'x');
  return out;
}

inline std::vector<std::uint8_t> bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

// Any bytes at all, for binary messages.
inline std::vector<std::uint8_t> binary_payload(std::size_t size) {
  std::vector<std::uint8_t> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::uint8_t>(i * 131 + 17);
  return out;
}

// A client frame carrying `payload`, masked with `key`.
inline std::vector<std::uint8_t> masked_frame(Opcode opcode,
                                              const std::vector<std::uint8_t>& payload,
                                              const MaskKey& key) {
  driver::FrameHeader header;
  header.opcode = static_cast<std::uint8_t>(opcode);
  header.masked = true;
  header.mask = key;
  header.length = payload.size();
  std::vector<std::uint8_t> out(driver::kMaxHeaderSize + payload.size());
  std::size_t head = driver::encode_header(out.data(), header);
  out.resize(head + payload.size());
  driver::mask_copy(out.data() + head, payload.data(), payload.size(), key);
  return out;
}

// Counts messages and their bytes; touches nothing else. What the driver
// writes is appended to `written`, which the caller clears between frames so
// that its capacity is reused: what a transport's write queue does in steady
// state. (The parse benchmarks write nothing after the handshake.)
struct CountingHandler : driver::Handler {
  std::int64_t messages = 0;
  std::int64_t bytes = 0;
  bool failed = false;
  std::vector<std::uint8_t> written;

  void write(Bytes data) override { written.insert(written.end(), data.begin(), data.end()); }

  void on_message(const driver::Message& message) override {
    ++messages;
    bytes += static_cast<std::int64_t>(message.data.size());
    benchmark::DoNotOptimize(message.data.data());
  }
  void on_error(std::error_code, std::string_view) override { failed = true; }
  void on_close(std::uint16_t, std::string_view) override { failed = true; }
};

inline http::Request upgrade_request() {
  http::Request request;
  request.method = "GET";
  request.target = "/bench";
  request.headers = {{"Host", "bench.example"},
                     {"Upgrade", "websocket"},
                     {"Connection", "Upgrade"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"Sec-WebSocket-Version", "13"}};
  return request;
}

// A server-role driver past its handshake, writing to `handler`.
inline std::unique_ptr<driver::Hybi> open_server(CountingHandler& handler) {
  auto server = std::make_unique<driver::Hybi>(upgrade_request(), handler);
  server->start();
  handler.written.clear();
  return server;
}

// A client-role driver past its handshake, writing to `handler`.
inline std::unique_ptr<driver::Client> open_client(CountingHandler& handler) {
  auto client = std::make_unique<driver::Client>(http::Url::parse("ws://bench.example/"), handler);
  client->start();
  std::string request(handler.written.begin(), handler.written.end());
  handler.written.clear();
  constexpr std::string_view kKeyField = "Sec-WebSocket-Key: ";
  std::size_t start = request.find(kKeyField) + kKeyField.size();
  std::string key = request.substr(start, request.find("\r\n", start) - start);
  client->parse(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      driver::accept_key(key) + "\r\n\r\n");
  return client;
}

}  // namespace faye::bench
