#include "reply_reader.hpp"

#include <algorithm>
#include <cstring>

#include "frames.hpp"

namespace faye::load {

ReplyReader::Status ReplyReader::feed(const std::uint8_t* data, std::size_t size,
                                      const ExpectedEcho& expected, std::uint32_t& messages) {
  while (size > 0) {
    if (!in_payload_) {
      const std::size_t take = std::min<std::size_t>(size, header_needed_ - header_size_);
      std::memcpy(header_ + header_size_, data, take);
      header_size_ = static_cast<std::uint8_t>(header_size_ + take);
      data += take;
      size -= take;
      if (header_size_ < header_needed_) break;
      if (header_size_ == 2) {
        // RFC 6455 5.1: a server MUST NOT mask its frames.
        if (header_[1] & 0x80) return fail("masked frame from the server");
        const std::uint8_t length = header_[1] & 0x7F;
        header_needed_ = length == 126 ? 4 : length == 127 ? 10 : 2;
        if (header_needed_ > 2) continue;
      }
      if (const Status status = start_frame(expected); status != Status::ok) return status;
    }
    if (payload_left_ > 0 && size > 0) {
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(size, payload_left_));
      if (!control_ && !compressed_) {
        if (message_offset_ + take > expected.size) return fail("echo longer than the message sent");
        if (std::memcmp(data, expected.payload + message_offset_, take) != 0) {
          return fail("echo differs from the message sent");
        }
      }
      if (!control_) message_offset_ += take;
      payload_left_ -= take;
      data += take;
      size -= take;
    }
    if (payload_left_ == 0) {
      in_payload_ = false;
      if (!control_ && frame_fin_) {
        if (!compressed_ && message_offset_ != expected.size) {
          return fail("echo shorter than the message sent");
        }
        ++messages;
        in_message_ = false;
      }
    }
  }
  return Status::ok;
}

ReplyReader::Status ReplyReader::start_frame(const ExpectedEcho& expected) {
  const std::uint8_t first = header_[0];
  const std::uint8_t opcode = first & 0x0F;
  std::uint64_t length = header_[1] & 0x7F;
  if (length == 126) {
    length = (std::uint64_t{header_[2]} << 8) | header_[3];
  } else if (length == 127) {
    length = 0;
    for (int i = 2; i < 10; ++i) length = (length << 8) | header_[i];
  }
  header_size_ = 0;
  header_needed_ = 2;
  frame_fin_ = (first & kFin) != 0;
  control_ = opcode >= 0x8;
  if (first & 0x30) return fail("RSV2 or RSV3 set by the server");
  if (control_) {
    // RFC 6455 5.5: control frames are short and never fragmented.
    if (!frame_fin_ || length > 125) return fail("bad control frame from the server");
    if (opcode == kOpClose) return Status::closed;
    if (opcode != 0x9 && opcode != 0xA) return fail("unknown control opcode from the server");
  } else if (opcode == 0) {
    if (!in_message_) return fail("continuation frame without a message");
    if (first & kRsv1) return fail("RSV1 on a continuation frame");
  } else {
    if (opcode != kOpText && opcode != kOpBinary) return fail("unknown data opcode from the server");
    if (in_message_) return fail("new message inside a fragmented one");
    if (opcode != expected.opcode) return fail("echo has the wrong type (text/binary)");
    in_message_ = true;
    compressed_ = (first & kRsv1) != 0;
    message_offset_ = 0;
  }
  payload_left_ = length;
  in_payload_ = true;
  return Status::ok;
}

}  // namespace faye::load
