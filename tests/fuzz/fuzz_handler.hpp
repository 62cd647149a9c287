// Shared pieces of the driver fuzz targets: a handler that touches every
// event's data (so ASan sees any bad view) and counts the bytes written
// rather than keeping them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "faye/driver/driver.hpp"

namespace faye::fuzz {

struct Handler : driver::Handler {
  std::size_t checksum = 0;
  std::size_t written = 0;
  void write(Bytes bytes) override { written += bytes.size(); }
  void touch(Bytes data) {
    for (std::uint8_t byte : data) checksum += byte;
  }
  void on_message(const driver::Message& message) override { touch(message.data); }
  void on_ping(Bytes payload) override { touch(payload); }
  void on_pong(Bytes payload) override { touch(payload); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    checksum += code + reason.size();
  }
  void on_error(std::error_code error, std::string_view message) override {
    checksum += static_cast<std::size_t>(error.value()) + message.size();
  }
};

// Feeds `data` to `parse` in pieces whose sizes come from `seed`, so that the
// fuzzer explores split points as well as contents.
template <typename Parse>
void feed_in_pieces(const std::uint8_t* data, std::size_t size, std::uint32_t seed, Parse parse) {
  std::size_t pos = 0;
  while (pos < size) {
    seed = seed * 1103515245u + 12345u;
    std::size_t piece = 1 + (seed >> 16) % 64;
    if ((seed & 3) == 0) piece = size - pos;  // often the whole rest at once
    piece = std::min(piece, size - pos);
    std::string chunk(reinterpret_cast<const char*>(data + pos), piece);
    parse(chunk);
    pos += piece;
  }
}

}  // namespace faye::fuzz
