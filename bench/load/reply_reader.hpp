// Reads the server's frames as they arrive, in pieces of any size, and checks
// every echo against the message that was sent: its type, its length and its
// bytes (compared chunk by chunk as they stream past, so a large message
// needs no buffer). Fragmented replies are put together by counting; a
// compressed reply (RSV1) is counted but not inflated.
#pragma once

#include <cstddef>
#include <cstdint>

namespace faye::load {

struct ExpectedEcho {
  std::uint8_t opcode;          // kOpText or kOpBinary
  const std::uint8_t* payload;  // what was sent, uncompressed
  std::size_t size;
};

class ReplyReader {
 public:
  enum class Status : std::uint8_t { ok, error, closed };

  // Consumes `size` bytes and adds the number of complete, correct echoes to
  // `messages`. `closed`: the server sent a close frame (the rest is
  // ignored); `error`: see error().
  Status feed(const std::uint8_t* data, std::size_t size, const ExpectedEcho& expected,
              std::uint32_t& messages);
  const char* error() const { return error_; }

 private:
  Status fail(const char* message) {
    error_ = message;
    return Status::error;
  }
  Status start_frame(const ExpectedEcho& expected);

  std::uint8_t header_[14];
  std::uint8_t header_size_ = 0;
  std::uint8_t header_needed_ = 2;
  bool in_payload_ = false;
  bool frame_fin_ = false;
  bool control_ = false;
  bool in_message_ = false;
  bool compressed_ = false;
  std::uint64_t payload_left_ = 0;
  std::uint64_t message_offset_ = 0;
  const char* error_ = "";
};

}  // namespace faye::load
