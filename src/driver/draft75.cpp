#include "faye/driver/draft75.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "faye/driver/handshake.hpp"

namespace faye::driver {
namespace {

constexpr std::uint8_t text_frame_type = 0x00;
constexpr std::uint8_t frame_end = 0xFF;
constexpr std::uint8_t length_prefixed_bit = 0x80;
constexpr std::uint8_t closing_frame[] = {0xFF, 0x00};

// A reassembly buffer that grew past this is released after its message, so
// that one large message does not pin memory for the connection's lifetime.
constexpr std::size_t retained_buffer_capacity = 64 * 1024;

const std::uint8_t* find_frame_end(const std::uint8_t* begin, std::size_t size) {
  if (size == 0) return nullptr;
  return static_cast<const std::uint8_t*>(std::memchr(begin, frame_end, size));
}

}  // namespace

Draft75::Draft75(const http::Request& request, Handler& handler, const ServerSettings& settings)
    : Draft75(request, handler, settings,
              Dialect{.status_line = "HTTP/1.1 101 Web Socket Protocol Handshake",
                      .header_prefix = ""}) {}

Draft75::Draft75(const http::Request& request, Handler& handler, const ServerSettings& settings,
                 const Dialect& dialect)
    : Driver(handler), max_length_(settings.max_length) {
  const std::string prefix(dialect.header_prefix);
  if (auto offered = request.headers.get_all(prefix + "WebSocket-Protocol")) {
    if (auto chosen = select_protocol(*offered, settings.protocols)) set_protocol(std::move(*chosen));
  }

  std::string& head = handshake_head_;
  head.append(dialect.status_line).append("\r\n");
  head.append("Upgrade: WebSocket\r\nConnection: Upgrade\r\n");
  if (auto origin = request.headers.get("Origin")) {
    head.append(prefix).append("WebSocket-Origin: ").append(*origin).append("\r\n");
  }
  head.append(prefix).append("WebSocket-Location: ").append(request.secure ? "wss://" : "ws://");
  head.append(request.host()).append(request.target).append("\r\n");
  if (!protocol().empty()) {
    head.append(prefix).append("WebSocket-Protocol: ").append(protocol()).append("\r\n");
  }
  for (const auto& [name, value] : settings.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  head.append("\r\n");
}

void Draft75::start() {
  if (state_ != ReadyState::connecting) return;
  write(handshake_head_);
  std::string().swap(handshake_head_);
  open();
}

void Draft75::parse(MutableBytes data) {
  std::size_t offset = 0;
  // Every event may run handler code that closes the socket: re-check the
  // state before each step so that nothing is reported after on_close.
  while (offset < data.size() && state_ == ReadyState::open) {
    switch (stage_) {
      case Stage::frame_type:
        frame_type_ = data[offset++];
        if (frame_type_ & length_prefixed_bit) {
          length_ = 0;
          stage_ = Stage::length;
        } else {
          stage_ = frame_type_ == text_frame_type ? Stage::text : Stage::discard;
        }
        break;

      case Stage::length: {
        std::uint8_t byte = data[offset++];
        // The draft sets no bound on the length; refuse one that would not
        // fit the accumulator rather than skip a wrapped-around count.
        if (length_ > (std::numeric_limits<std::uint64_t>::max() >> 7)) {
          return fail(Error::protocol_error, close_code::protocol_error,
                      "frame length exceeds 64 bits");
        }
        length_ = (length_ << 7) | (byte & 0x7F);
        if (byte & 0x80) break;  // more length groups follow
        if (length_ > 0) {
          stage_ = Stage::skip;
          break;
        }
        stage_ = Stage::frame_type;
        // Draft-76 5.3: a 0xFF frame of length zero is the closing frame.
        if (frame_type_ == 0xFF && has_closing_frame()) receive_closing_frame();
        break;
      }

      case Stage::skip: {
        // Length-prefixed frames carry nothing the drafts define (section
        // 4.2 of both: "discard the read bytes"), so they are never buffered.
        std::uint64_t available = data.size() - offset;
        std::uint64_t skipped = std::min(length_, available);
        offset += static_cast<std::size_t>(skipped);
        length_ -= skipped;
        if (length_ == 0) stage_ = Stage::frame_type;
        break;
      }

      case Stage::text:
        parse_text(data, offset);
        break;

      case Stage::discard: {
        // A sentinel frame of a type other than 0x00: the drafts say to read
        // it up to 0xFF and discard it, so it costs no memory either.
        const std::uint8_t* end = find_frame_end(data.data() + offset, data.size() - offset);
        if (end == nullptr) {
          offset = data.size();
        } else {
          offset = static_cast<std::size_t>(end - data.data()) + 1;
          stage_ = Stage::frame_type;
        }
        break;
      }
    }
  }
}

void Draft75::parse_text(Bytes data, std::size_t& offset) {
  const std::uint8_t* begin = data.data() + offset;
  std::size_t available = data.size() - offset;
  const std::uint8_t* end = find_frame_end(begin, available);
  std::size_t size = end ? static_cast<std::size_t>(end - begin) : available;

  // Checked before anything is kept: a message over the limit fails as soon
  // as its excess arrives, and the buffer never exceeds max_length. The part
  // within the limit is validated first so that the error reported is the
  // one at the earliest byte, however the input was split.
  std::size_t allowed = max_length_ - buffer_.size();
  Bytes piece(begin, std::min(size, allowed));
  if (!utf8_.feed(piece)) {
    return fail(Error::invalid_utf8, close_code::invalid_data, "invalid UTF-8 in text message");
  }
  if (size > allowed) {
    return fail(Error::message_too_big, close_code::too_large, "message exceeds max_length");
  }
  offset += size;
  if (end == nullptr) {
    buffer_.insert(buffer_.end(), piece.begin(), piece.end());
    return;
  }

  ++offset;  // the 0xFF
  stage_ = Stage::frame_type;
  if (!utf8_.complete()) {
    return fail(Error::invalid_utf8, close_code::invalid_data, "text message ends mid-character");
  }
  utf8_.reset();
  if (buffer_.empty()) {
    deliver(piece);  // the whole frame is in this call: no copy
  } else {
    buffer_.insert(buffer_.end(), piece.begin(), piece.end());
    deliver(buffer_);
    if (buffer_.capacity() > retained_buffer_capacity) {
      std::vector<std::uint8_t>().swap(buffer_);
    } else {
      buffer_.clear();
    }
  }
}

void Draft75::deliver(Bytes text) {
  handler_.on_message(Message{MessageType::text, text});
}

bool Draft75::text(std::string_view message) {
  if (state_ != ReadyState::open) return false;
  if (message.find(static_cast<char>(frame_end)) != std::string_view::npos) return false;
  static constexpr std::uint8_t start_byte[] = {text_frame_type};
  static constexpr std::uint8_t end_byte[] = {frame_end};
  // Three writes rather than a copy: the handler buffers them into one send.
  write(Bytes(start_byte));
  if (!message.empty()) write(message);
  write(Bytes(end_byte));
  return true;
}

bool Draft75::binary(Bytes) {
  return false;
}

bool Draft75::close(std::uint16_t, std::string_view) {
  if (state_ == ReadyState::closing || state_ == ReadyState::closed) return false;
  // Before the handshake completed a closing frame would corrupt it: the
  // transport closing is the only signal then.
  if (state_ == ReadyState::open) write_closing_frame();
  finish_close(close_code::normal, "");
  return true;
}

void Draft75::fail(Error error, std::uint16_t code, std::string_view message) {
  if (state_ == ReadyState::closing || state_ == ReadyState::closed) return;
  bool was_open = state_ == ReadyState::open;
  // Closing while the handler hears of the error: it may call close() or
  // text(), which must neither send nor report anything more.
  state_ = ReadyState::closing;
  if (was_open) write_closing_frame();
  emit_error(error, message);
  finish_close(code, message);
}

void Draft75::receive_closing_frame() {
  // close() goes straight to closed, so an open socket has not sent its
  // closing frame yet: answer, as draft-76 section 5.3 asks.
  write_closing_frame();
  finish_close(close_code::normal, "");
}

void Draft75::write_closing_frame() {
  if (has_closing_frame()) write(Bytes(closing_frame));
}

}  // namespace faye::driver
