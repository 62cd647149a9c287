#include "faye/driver/hybi.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "faye/driver/handshake.hpp"
#include "faye/driver/random.hpp"
#include "faye/http/response.hpp"

namespace faye::driver {
namespace {

// Frames with payloads up to this size are assembled in one piece where the
// transport keeps its output; larger ones go as a header, then the payload
// (from where it lies, or masked into the output piece by piece).
constexpr std::size_t kInPlaceFrameSize = 1024;
constexpr std::size_t kMaskPieceSize = 16 * 1024;
// RFC 6455 5.5: a close payload is at most 125 bytes, 2 of them the code.
constexpr std::size_t kMaxCloseReason = 123;

std::string rejection(int status, std::string_view message) {
  http::Response response;
  response.status = status;
  response.headers.add("Content-Type", "text/plain; charset=utf-8");
  response.headers.add("Connection", "close");
  if (status == 426) response.headers.add("Sec-WebSocket-Version", "13");
  response.body.assign(message).append("\n");
  return response.serialize();
}

// A frame as Handler::write_in_place() fills it in: its header, then its
// payload, a client's masked on the way (RFC 6455 5.3). Written once, where
// the transport keeps its output, and never read back, so no load waits on
// the stores that assembled it.
struct OutgoingFrame {
  const FrameHeader& header;
  Bytes payload;

  static void fill(std::uint8_t* at, const void* context) {
    const auto& frame = *static_cast<const OutgoingFrame*>(context);
    at += encode_header(at, frame.header);
    const std::size_t size = frame.payload.size();
    if (frame.header.masked) {
      mask_copy(at, frame.payload.data(), size, frame.header.mask);
    } else if (size != 0) {
      std::memcpy(at, frame.payload.data(), size);
    }
  }
};

// OutgoingFrame's common case, a data frame of at most 125 bytes: final, no
// RSV bits, so its header is two bytes (six with a client's mask key).
struct SmallFrame {
  Bytes payload;
  std::uint8_t first_byte;  // FIN and the opcode
  MaskKey mask;

  static void fill_unmasked(std::uint8_t* at, const void* context) {
    const auto& frame = *static_cast<const SmallFrame*>(context);
    const std::size_t size = frame.payload.size();
    at[0] = frame.first_byte;
    at[1] = static_cast<std::uint8_t>(size);
    if (size != 0) std::memcpy(at + 2, frame.payload.data(), size);
  }
  static void fill_masked(std::uint8_t* at, const void* context) {
    const auto& frame = *static_cast<const SmallFrame*>(context);
    const std::size_t size = frame.payload.size();
    at[0] = frame.first_byte;
    at[1] = static_cast<std::uint8_t>(0x80 | size);
    std::memcpy(at + 2, frame.mask.data(), 4);
    mask_copy(at + 6, frame.payload.data(), size, frame.mask);
  }
};

// A piece of a client's large payload, masked on its way in; `offset` is its
// position in the payload.
struct MaskedPiece {
  Bytes piece;
  const MaskKey& mask;
  std::uint64_t offset;

  static void fill(std::uint8_t* at, const void* context) {
    const auto& piece = *static_cast<const MaskedPiece*>(context);
    mask_copy(at, piece.piece.data(), piece.piece.size(), piece.mask, piece.offset);
  }
};

// Cuts a reason to fit a close frame without splitting a UTF-8 character.
std::string_view fit_reason(std::string_view reason) {
  if (reason.size() <= kMaxCloseReason) return reason;
  std::size_t end = kMaxCloseReason;
  while (end > 0 && (static_cast<std::uint8_t>(reason[end]) & 0xC0) == 0x80) --end;
  return reason.substr(0, end);
}

}  // namespace

std::string_view Hybi::version() const {
  // Static storage, as Driver::version() promises.
  switch (version_number_) {
    case 7:
      return "hybi-7";
    case 8:
      return "hybi-8";
    default:
      return "hybi-13";
  }
}

Hybi::Hybi(Role role, Handler& handler, std::size_t max_length)
    : Driver(handler), role_(role), max_length_(max_length) {}

Hybi::Hybi(const http::Request& request, Handler& handler, const ServerSettings& settings)
    : Hybi(Role::server, handler, settings.max_length) {
  accept_request(request, settings);
}

// RFC 6455 4.2.1 and 4.2.2: validate the opening handshake and prepare the
// response, or the reason to refuse it.
void Hybi::accept_request(const http::Request& request, const ServerSettings& settings) {
  auto reject = [&](int status, std::string message) {
    aside().reject_status = status;
    aside_->handshake = std::move(message);
  };
  const http::Headers& headers = request.headers;
  std::string_view version = headers.get("Sec-WebSocket-Version").value_or("");
  int number = 0;
  auto [end, ec] = std::from_chars(version.data(), version.data() + version.size(), number);
  if (ec != std::errc() || end != version.data() + version.size() ||
      (number != 7 && number != 8 && number != 13)) {
    // RFC 6455 4.4: answer with the versions we do speak.
    return reject(426, "unsupported Sec-WebSocket-Version: '" + std::string(version) + "'");
  }
  version_number_ = static_cast<std::uint8_t>(number);

  if (request.method != "GET") return reject(400, "WebSocket handshake must use GET");
  if (request.version_major < 1 || (request.version_major == 1 && request.version_minor < 1)) {
    return reject(400, "WebSocket handshake requires HTTP/1.1");
  }
  if (!headers.has_token("Upgrade", "websocket")) {
    return reject(400, "missing 'Upgrade: websocket'");
  }
  if (!headers.has_token("Connection", "upgrade")) {
    return reject(400, "missing 'Connection: Upgrade'");
  }
  if (headers.get("Host").value_or("").empty()) return reject(400, "missing Host header");
  auto key = headers.get("Sec-WebSocket-Key");
  if (!key) return reject(400, "missing Sec-WebSocket-Key");
  if (!is_valid_key(*key)) return reject(400, "Sec-WebSocket-Key is not base64 of 16 bytes");

  // The 101 head, written straight into one string: an http::Response would
  // build a vector of fields only to serialize it.
  std::string head;
  head.reserve(160);
  head.append(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ");
  append_accept_key(head, *key);
  head.append("\r\n");
  auto add_field = [&head](std::string_view name, std::string_view value) {
    head.append(name).append(": ").append(value).append("\r\n");
  };
  if (auto offered = headers.get_all("Sec-WebSocket-Protocol")) {
    if (auto chosen = select_protocol(*offered, settings.protocols)) {
      set_protocol(*chosen);
      add_field("Sec-WebSocket-Protocol", protocol());
    }
  }
  // RFC 6455 9.1: accept what we support of the client's offers. A server
  // that registered no extension ignores the header, as it may ignore any
  // extension it does not know (4.2.2).
  if (!settings.extensions.empty()) {
    if (auto offered = headers.get_all("Sec-WebSocket-Extensions")) {
      auto negotiated = std::make_unique<Extensions>();
      std::string answer;
      std::string error;
      if (!negotiated->generate_response(settings.extensions, *offered, answer, error)) {
        return reject(400, error);
      }
      if (negotiated->active()) {
        add_field("Sec-WebSocket-Extensions", answer);
        set_extensions(std::move(answer));
        allowed_rsv_ = negotiated->rsv();
        set_negotiated(std::move(negotiated));
      }
    }
  }
  for (const auto& [name, value] : settings.headers) add_field(name, value);
  head.append("\r\n");
  aside().handshake = std::move(head);
}

Hybi::Aside& Hybi::aside() {
  if (!aside_) aside_ = std::make_unique<Aside>();
  return *aside_;
}

void Hybi::start() {
  if (state_ != ReadyState::connecting) return;
  // The answer leaves the box (which may stay for the extensions).
  std::string handshake;
  int reject_status = 0;
  if (aside_) {
    handshake = std::exchange(aside_->handshake, std::string());
    reject_status = std::exchange(aside_->reject_status, 0);
    release_aside();
  }
  if (reject_status != 0) {
    write(rejection(reject_status, handshake));
    Error error = reject_status == 426 ? Error::unsupported_version : Error::bad_request;
    emit_error(error, handshake);
    finish(close_code::protocol_error, handshake);
    return;
  }
  write(handshake);
  open();
}

void Hybi::parse(MutableBytes data) {
  if (state_ == ReadyState::open || state_ == ReadyState::closing) parse_frames(data);
}

void Hybi::parse_frames(MutableBytes data) {
  std::size_t pos = 0;
  const std::size_t size = data.size();
  while (pos < size && state_ != ReadyState::closed) {
    if (stage_ == Stage::header) {
      if (gathered_header_size() == 0) {
        const std::size_t taken = take_whole_messages(data, pos);
        if (taken != pos) {
          pos = taken;
          continue;
        }
      }
      const std::uint8_t* header = nullptr;
      const std::size_t whole_header = gathered_header_size() == 0 && size - pos >= 2
                                           ? header_size(data[pos], data[pos + 1])
                                           : 0;
      if (whole_header != 0 && size - pos >= whole_header) {
        // The whole header is in this read: decode it where it lies.
        header = data.data() + pos;
        pos += whole_header;
      } else {
        Aside& gathered = aside();
        gathered.header_bytes[gathered.header_size++] = data[pos++];
        if (gathered.header_size < 2 ||
            gathered.header_size <
                header_size(gathered.header_bytes[0], gathered.header_bytes[1])) {
          continue;
        }
        header = gathered.header_bytes;
        gathered.header_size = 0;
      }
      if (!decode_header(header, frame_)) {
        fail(Error::protocol_error, close_code::protocol_error,
             "frame length has its most significant bit set");
        break;
      }
      if (!begin_frame()) break;
      // Straight on to the payload, if any is here (an empty frame is done).
      if (stage_ != Stage::payload || pos == size) continue;
    }

    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(frame_.length, size - pos));
    MutableBytes chunk = data.subspan(pos, n);
    pos += n;
    const bool whole_frame = stage_ == Stage::payload && n == frame_.length;
    frame_.length -= n;
    if (frame_.masked) {
      mask_in_place(chunk, frame_.mask);
      std::rotate(frame_.mask.begin(), frame_.mask.begin() + (n & 3), frame_.mask.end());
    }
    stage_ = Stage::rest_of_payload;
    if (!on_payload(chunk, whole_frame)) break;
  }
  release_aside();
}

void Hybi::release_aside() noexcept {
  if (!aside_) return;
  // Closed: nothing in it will be used again.
  if (state_ == ReadyState::closed) return aside_.reset();
  const bool at_boundary =
      stage_ == Stage::header && aside_->header_size == 0 && message_type_ == Opcode::continuation;
  if (!at_boundary) return;
  Aside& box = *aside_;
  if (box.negotiated || !box.pings.empty() || !box.handshake.empty() || box.reject_status != 0) {
    // Kept for those; the input buffers go, as they would with the box.
    if (box.message.capacity() > std::string().capacity()) box.message = std::string();
    if (box.control.capacity() > std::string().capacity()) box.control = std::string();
    return;
  }
  aside_.reset();
}

void Hybi::set_negotiated(std::unique_ptr<Extensions> extensions) {
  if (extensions) {
    aside().negotiated = std::move(extensions);
  } else if (aside_) {
    aside_->negotiated.reset();
    release_aside();
  }
}

// The frame nearly every message is: final, text or binary, no RSV bits,
// masked as the role requires, within max_length, no fragmented message in
// progress, and all of it in this read (then no byte is copied). Such frames
// go from header to on_message in one pass, one after the other, without
// the parser's state (the general path would accept them exactly the same
// way). Returns the position of the first frame it did not take.
std::size_t Hybi::take_whole_messages(MutableBytes data, std::size_t pos) {
  const std::uint8_t mask_bit = role_ == Role::server ? 0x80 : 0;
  while (state_ != ReadyState::closed && message_type_ == Opcode::continuation) {
    const std::size_t available = data.size() - pos;
    if (available < 2) break;
    const std::uint8_t* p = data.data() + pos;
    const std::uint8_t opcode = p[0] & 0x0F;
    const bool text = opcode == static_cast<std::uint8_t>(Opcode::text);
    if ((p[0] & (kFin | kRsv1 | kRsv2 | kRsv3)) != kFin ||
        (!text && opcode != static_cast<std::uint8_t>(Opcode::binary)) ||
        (p[1] & 0x80) != mask_bit) {
      break;
    }
    std::uint64_t length = p[1] & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (available < 4) break;
      length = (std::uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (available < 10) break;
      length = 0;
      for (int i = 2; i < 10; ++i) length = (length << 8) | p[i];
      header = 10;  // a length with its top bit set exceeds `available` below
    }
    if (mask_bit) header += 4;
    if (available < header || available - header < length || length > max_length_) break;

    MutableBytes payload = data.subspan(pos + header, static_cast<std::size_t>(length));
    bool valid = true;
    if (mask_bit) {
      MaskKey key;
      std::memcpy(key.data(), p + header - 4, 4);
      if (!text) {
        mask_in_place(payload, key);
      } else if (!unmask_is_ascii(payload, key)) {
        valid = is_valid_utf8(payload);
      }
    } else if (text) {
      valid = is_ascii(payload) || is_valid_utf8(payload);
    }
    pos += header + static_cast<std::size_t>(length);
    if (!valid) {
      fail(Error::invalid_utf8, close_code::invalid_data, "invalid UTF-8 in text message");
      break;
    }
    // RFC 6455 allows data after our close; the browser API drops it.
    if (state_ == ReadyState::open) {
      handler_.on_message(Message{text ? MessageType::text : MessageType::binary, payload});
    }
  }
  return pos;
}

// Checks a decoded header against RFC 6455 5.2-5.5 and the state of the
// message in progress. False (after failing the connection) on a violation.
bool Hybi::begin_frame() {
  // The common frame first, in one test: text or binary starting a message,
  // no RSV bits, masked as the role requires, within max_length. It passes
  // every check below; any other frame goes through them one by one.
  const bool message_start = static_cast<Opcode>(frame_.opcode) == Opcode::text ||
                             static_cast<Opcode>(frame_.opcode) == Opcode::binary;
  if (message_start && frame_.rsv == 0 && frame_.masked == (role_ == Role::server) &&
      message_type_ == Opcode::continuation && frame_.length <= max_length_ &&
      message_size() + frame_.length <= max_length_) {
    frame_type_ = static_cast<Opcode>(frame_.opcode);
    message_rsv_ = 0;
    if (!frame_.fin) message_type_ = frame_type_;
    stage_ = Stage::payload;
    return frame_.length != 0 || on_payload({}, true);
  }
  auto protocol_error = [this](std::string_view message) {
    fail(Error::protocol_error, close_code::protocol_error, message);
    return false;
  };
  // RFC 6455 5.2: an RSV bit needs a negotiated extension that defines it.
  // Ours are per-message extensions, whose bits mark a message's first
  // frame only (RFC 7692 6.1): never a continuation or control frame.
  const bool first_frame = static_cast<Opcode>(frame_.opcode) == Opcode::text ||
                           static_cast<Opcode>(frame_.opcode) == Opcode::binary;
  if (frame_.rsv & ~(first_frame ? allowed_rsv_ : 0)) {
    return protocol_error(allowed_rsv_ == 0 ? "RSV bits set without a negotiated extension"
                                            : "RSV bits not allowed on this frame");
  }
  if (!is_known_opcode(frame_.opcode)) return protocol_error("reserved opcode");
  if (role_ == Role::server && !frame_.masked) {
    return protocol_error("client frames must be masked");  // RFC 6455 5.1
  }
  if (role_ == Role::client && frame_.masked) {
    return protocol_error("server frames must not be masked");  // RFC 6455 5.1
  }
  Opcode opcode = static_cast<Opcode>(frame_.opcode);
  if (is_control(frame_.opcode)) {
    if (!frame_.fin) return protocol_error("control frames must not be fragmented");
    if (frame_.length > kMaxControlPayload) {
      return protocol_error("control frame payload exceeds 125 bytes");
    }
    if (opcode == Opcode::close && frame_.length == 1) {
      return protocol_error("close frame with a one-byte payload");
    }
  } else {
    if (opcode == Opcode::continuation) {
      if (message_type_ == Opcode::continuation) {
        return protocol_error("continuation frame with no message to continue");
      }
      frame_type_ = message_type_;
    } else {
      if (message_type_ != Opcode::continuation) {
        return protocol_error("new data frame inside a fragmented message");
      }
      frame_type_ = opcode;
      message_rsv_ = frame_.rsv;
      if (!frame_.fin) message_type_ = opcode;
    }
    // Enforced from the header, before a byte of the payload is buffered;
    // on compressed messages, it bounds the compressed bytes collected, with
    // room for deflate's expansion of incompressible data (fixed Huffman codes
    // spend 9 bits on some bytes, RFC 1951 3.2.6), so that a message within
    // max_length is never refused for its compressed size; the extension
    // checks the inflated size exactly.
    const std::size_t expansion = max_length_ / 8 + 64;
    const std::size_t limit = message_rsv_ == 0 ? max_length_
                              : max_length_ > SIZE_MAX - expansion ? SIZE_MAX
                                                                   : max_length_ + expansion;
    if (frame_.length > limit || message_size() + frame_.length > limit) {
      fail(Error::message_too_big, close_code::too_large,
           "message exceeds the maximum length of " + std::to_string(max_length_) + " bytes");
      return false;
    }
  }
  stage_ = Stage::payload;
  if (frame_.length == 0) return on_payload({}, true);
  return true;
}

bool Hybi::on_payload(MutableBytes chunk, bool whole_frame) {
  const bool frame_done = frame_.length == 0;
  if (is_control(frame_.opcode)) {
    if (!whole_frame) aside().control.append(as_text(chunk));
    if (!frame_done) return true;
    stage_ = Stage::header;
    if (whole_frame) {
      on_control(chunk);
    } else {
      std::string payload = std::move(aside_->control);
      aside_->control.clear();
      on_control(as_bytes(payload));
    }
    return state_ != ReadyState::closed;
  }

  // Text is validated piece by piece so that a bad byte fails the
  // connection as soon as it arrives (RFC 6455 8.1, Autobahn 6.4).
  // (A message transformed by an extension is validated once restored.)
  if (frame_type_ == Opcode::text && message_rsv_ == 0 && !utf8_.feed(chunk)) {
    fail(Error::invalid_utf8, close_code::invalid_data, "invalid UTF-8 in text message");
    return false;
  }
  bool unfragmented = whole_frame && frame_.fin && message_size() == 0 &&
                      static_cast<Opcode>(frame_.opcode) != Opcode::continuation;
  if (!unfragmented) aside().message.append(as_text(chunk));
  if (!frame_done) return true;
  stage_ = Stage::header;
  return finish_data_frame(unfragmented ? Bytes(chunk) : Bytes(), unfragmented);
}

bool Hybi::finish_data_frame(Bytes whole_message, bool unfragmented) {
  if (!frame_.fin) return true;
  Opcode type = frame_type_;
  message_type_ = Opcode::continuation;
  MessageType message_type = type == Opcode::text ? MessageType::text : MessageType::binary;
  Bytes data = unfragmented ? whole_message : as_bytes(aside_->message);
  const std::uint8_t rsv = std::exchange(message_rsv_, 0);
  if (rsv != 0) {
    if (!restore_message(message_type, rsv, data)) return false;
  } else if (type == Opcode::text && !utf8_.complete()) {
    fail(Error::invalid_utf8, close_code::invalid_data, "text message ends inside a character");
    return false;
  }
  utf8_.reset();
  Message message{message_type, data};
  // RFC 6455 allows data after our close; the browser API drops it (HTML
  // "WebSocket message received": only in the OPEN state).
  if (state_ == ReadyState::open) handler_.on_message(message);
  if (rsv != 0 && negotiated()) negotiated()->release_incoming();
  // The buffer itself goes (or serves the next message of this read) when
  // parse_frames ends.
  if (!unfragmented) aside_->message.clear();
  return state_ != ReadyState::closed;
}

// Out of line: its status (with a string) would otherwise weigh on every
// message's path, compressed or not.
bool Hybi::restore_message(MessageType type, std::uint8_t rsv, Bytes& data) {
  // RSV bits pass begin_frame only once extensions are negotiated: they
  // restore the message (in reverse order of activation).
  ExtensionMessage restored{.type = type, .rsv = rsv, .data = data, .max_length = max_length_};
  ExtensionStatus status = negotiated()->process_incoming(restored);
  if (!status.ok()) {
    fail(status.error, status.close_code, status.message);
    return false;
  }
  data = restored.data;
  if (type == MessageType::text && !is_valid_utf8(data)) {
    fail(Error::invalid_utf8, close_code::invalid_data, "invalid UTF-8 in text message");
    return false;
  }
  return true;
}

void Hybi::on_control(Bytes payload) {
  switch (static_cast<Opcode>(frame_.opcode)) {
    case Opcode::close:
      on_close_frame(payload);
      break;
    case Opcode::ping:
      // RFC 6455 5.5.2: answer with the same payload, unless we are closing.
      if (state_ == ReadyState::open) {
        send_frame(kFin | static_cast<std::uint8_t>(Opcode::pong), payload);
        handler_.on_ping(payload);
      }
      break;
    case Opcode::pong: {
      handler_.on_pong(payload);
      if (!aside_) break;
      std::vector<PendingPing>& pings = aside_->pings;
      auto it = std::find_if(pings.begin(), pings.end(), [&](const PendingPing& ping) {
        return as_bytes(ping.payload).size() == payload.size() &&
               std::equal(payload.begin(), payload.end(), ping.payload.begin(), ping.payload.end(),
                          [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
      });
      if (it != pings.end()) {
        auto callback = std::move(it->callback);
        pings.erase(it);
        // An emptied box is freed by release_aside() after this read: the
        // payload at hand may lie in it.
        if (callback) callback();
      }
      break;
    }
    default:
      break;
  }
}

void Hybi::on_close_frame(Bytes payload) {
  std::uint16_t code = close_code::no_status;
  std::string_view reason;
  if (payload.size() >= 2) {
    code = static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);
    reason = as_text(payload.subspan(2));
    if (!close_code::is_valid_on_wire(code)) {
      fail(Error::protocol_error, close_code::protocol_error,
           "invalid close code " + std::to_string(code));
      return;
    }
    if (!is_valid_utf8(payload.subspan(2))) {
      fail(Error::invalid_utf8, close_code::invalid_data, "close reason is not valid UTF-8");
      return;
    }
  }
  // RFC 6455 5.5.1: answer a close with a close (echoing it, as Faye does), unless
  // this one answers ours. Either way the closing handshake is complete.
  if (state_ == ReadyState::open) send_close(code, reason);
  std::string reason_copy(reason);  // the payload may live in a buffer we reset
  finish(code, reason_copy);
}

void Hybi::fail(Error error, std::uint16_t code, std::string_view message) {
  if (state_ == ReadyState::closed) return;
  emit_error(error, message);
  if (state_ == ReadyState::open) send_close(code, message);
  finish(code, message);
}

void Hybi::fail_handshake(Error error, std::string_view message) {
  if (state_ == ReadyState::closed) return;
  emit_error(error, message);
  finish(close_code::protocol_error, message);
}

void Hybi::finish(std::uint16_t code, std::string_view reason) {
  // Nothing more will be compressed or inflated: free zlib's state now
  // rather than when the driver is destroyed.
  if (Extensions* extensions = negotiated()) extensions->close();
  finish_close(code, reason);
}

std::size_t Hybi::memory_usage() const {
  auto heap = [](const std::string& buffer) {
    return buffer.capacity() > std::string().capacity() ? buffer.capacity() + 1 : 0;
  };
  std::size_t total = negotiated() ? negotiated()->memory_usage() : 0;
  if (aside_) total += sizeof(Aside) + heap(aside_->message) + heap(aside_->control);
  return total;
}

bool Hybi::text(std::string_view message) {
  return text(message, true);
}

bool Hybi::binary(Bytes message) {
  return binary(message, true);
}

bool Hybi::send_message(Opcode opcode, Bytes payload, bool compress) {
  if (state_ == ReadyState::open && !negotiated() && payload.size() <= kMaxControlPayload) {
    // The common message: one small frame. Its two header bytes are known
    // without send_frame()'s general encoding, which costs ~50 instructions
    // more per message.
    const SmallFrame frame{payload,
                           static_cast<std::uint8_t>(kFin | static_cast<std::uint8_t>(opcode)),
                           role_ == Role::client ? random_mask() : MaskKey{}};
    if (role_ == Role::server) {
      handler_.write_in_place(2 + payload.size(), &SmallFrame::fill_unmasked, &frame);
    } else {
      handler_.write_in_place(6 + payload.size(), &SmallFrame::fill_masked, &frame);
    }
    return true;
  }
  return frame(opcode, payload, true, compress);
}

bool Hybi::frame(Opcode opcode, Bytes payload, bool fin, bool compress) {
  if (state_ != ReadyState::open || is_control(static_cast<std::uint8_t>(opcode))) return false;
  auto first_byte =
      static_cast<std::uint8_t>((fin ? kFin : 0) | static_cast<std::uint8_t>(opcode));
  Extensions* const extensions = negotiated();
  if (!extensions) return send_frame(first_byte, payload);

  // Control frames never reach here: extensions see data frames only.
  const bool first = opcode != Opcode::continuation;
  if (first) sending_type_ = opcode;
  ExtensionMessage message{
      .type = sending_type_ == Opcode::binary ? MessageType::binary : MessageType::text,
      .data = payload,
      .first = first,
      .fin = fin,
      .compress = compress};
  ExtensionStatus status = extensions->process_outgoing(message);
  if (!status.ok()) {
    fail(status.error, status.close_code, status.message);
    return false;
  }
  // The extensions' RSV bits go on the first frame only (RFC 7692 6.1).
  if (first) first_byte |= message.rsv;
  bool sent = send_frame(first_byte, message.data);
  extensions->release_outgoing();
  return sent;
}

bool Hybi::ping(Bytes payload, std::function<void()> on_pong) {
  if (state_ != ReadyState::open || payload.size() > kMaxControlPayload) return false;
  if (on_pong) {
    aside().pings.push_back({std::string(as_text(payload)), std::move(on_pong)});
  }
  return send_frame(kFin | static_cast<std::uint8_t>(Opcode::ping), payload);
}

bool Hybi::pong(Bytes payload) {
  if (state_ != ReadyState::open || payload.size() > kMaxControlPayload) return false;
  return send_frame(kFin | static_cast<std::uint8_t>(Opcode::pong), payload);
}

bool Hybi::close(std::uint16_t code, std::string_view reason) {
  if (state_ == ReadyState::connecting) {
    if (Extensions* extensions = negotiated()) extensions->close();
    state_ = ReadyState::closed;
    handler_.on_close(code, reason);
    return true;
  }
  if (state_ != ReadyState::open) return false;
  bool sendable = code == close_code::no_status || close_code::is_valid_on_wire(code);
  if (!sendable || reason.size() > kMaxCloseReason || !is_valid_utf8(as_bytes(reason))) {
    return false;
  }
  send_close(code, reason);
  state_ = ReadyState::closing;
  return true;
}

void Hybi::send_close(std::uint16_t code, std::string_view reason) {
  std::uint8_t payload[2 + kMaxCloseReason];
  std::size_t size = 0;
  if (code != close_code::no_status) {
    reason = fit_reason(reason);
    payload[0] = static_cast<std::uint8_t>(code >> 8);
    payload[1] = static_cast<std::uint8_t>(code);
    if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
    size = 2 + reason.size();
  }
  send_frame(kFin | static_cast<std::uint8_t>(Opcode::close), Bytes(payload, size));
}

bool Hybi::send_frame(std::uint8_t first_byte, Bytes payload) {
  FrameHeader header;
  header.fin = (first_byte & kFin) != 0;
  header.rsv = first_byte & (kRsv1 | kRsv2 | kRsv3);
  header.opcode = first_byte & 0x0F;
  header.length = payload.size();
  header.masked = role_ == Role::client;
  if (header.masked) header.mask = random_mask();

  if (payload.size() <= kInPlaceFrameSize) {
    const OutgoingFrame frame{header, payload};
    handler_.write_in_place(encoded_header_size(header) + payload.size(), &OutgoingFrame::fill,
                            &frame);
    return true;
  }
  std::uint8_t head[kMaxHeaderSize];
  write(Bytes(head, encode_header(head, header)));
  if (!header.masked) {
    write(payload);  // a large one goes out from where it lies
    return true;
  }
  // The caller's bytes are const: masked into the output piece by piece.
  for (std::uint64_t offset = 0; offset < payload.size(); offset += kMaskPieceSize) {
    const std::size_t n = std::min<std::size_t>(kMaskPieceSize, payload.size() - offset);
    const MaskedPiece piece{payload.subspan(offset, n), header.mask, offset};
    handler_.write_in_place(n, &MaskedPiece::fill, &piece);
  }
  return true;
}

}  // namespace faye::driver
