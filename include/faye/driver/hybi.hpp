// hybi-07 ... hybi-13 = RFC 6455 framing, in either role. The server role is
// constructed from the upgrade request; Client (client.hpp) adds the client
// handshake on top of the same framing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "faye/driver/driver.hpp"
#include "faye/driver/extensions.hpp"
#include "faye/driver/frame.hpp"
#include "faye/driver/server.hpp"
#include "faye/driver/utf8.hpp"
#include "faye/error.hpp"
#include "faye/http/request.hpp"

namespace faye::driver {

class Hybi : public Driver {
 public:
  enum class Role : std::uint8_t { server, client };

  // Server role: validates the request now; start() answers it.
  Hybi(const http::Request& request, Handler& handler, const ServerSettings& settings);
  Hybi(const http::Request& request, Handler& handler, const ServerOptions& options = {})
      : Hybi(request, handler, ServerSettings(options)) {}

  std::string_view version() const override;
  void start() override;
  void parse(MutableBytes data) override;
  using Driver::parse;

  bool text(std::string_view message) override;
  bool binary(Bytes message) override;
  // `compress = false` sends the message as it is, even with
  // permessage-deflate negotiated (e.g. data already compressed).
  bool text(std::string_view message, bool compress) {
    return send_message(Opcode::text, as_bytes(message), compress);
  }
  bool binary(Bytes message, bool compress) {
    return send_message(Opcode::binary, message, compress);
  }
  bool ping(Bytes payload = {}, std::function<void()> on_pong = {}) override;
  bool pong(Bytes payload = {}) override;
  bool close(std::uint16_t code = close_code::normal, std::string_view reason = {}) override;

  // Sends one frame of a message the caller fragments itself: `opcode` is
  // text or binary for the first frame and continuation afterwards. With
  // an extension such as permessage-deflate, the first frame decides for the
  // whole message (`compress` of later frames is ignored).
  bool frame(Opcode opcode, Bytes payload, bool fin, bool compress = true);

  // Heap bytes this connection holds beyond the object itself: message
  // buffers, the box they live in, and the extensions' state (zlib's included).
  std::size_t memory_usage() const;

 protected:
  // For Client: framing only, no request to validate.
  Hybi(Role role, Handler& handler, std::size_t max_length);

  // Bytes after the handshake: frames.
  void parse_frames(MutableBytes data);
  // Reports the error and closes with `code`, sending a close frame first if
  // the connection is open.
  void fail(Error error, std::uint16_t code, std::string_view message);
  // Handshake failure before open: error event, then close(1002).
  void fail_handshake(Error error, std::string_view message);

  // The one-byte fields, here and below, together after the base's state:
  // no padding between them.
  std::uint8_t version_number_ = 13;  // Sec-WebSocket-Version: 7, 8 or 13
  std::uint8_t allowed_rsv_ = 0;  // RSV bits owned by negotiated extensions

 private:
  // Of the frame parser: at a header, at a payload none of which has been
  // received, or inside a payload.
  enum class Stage : std::uint8_t { header, payload, rest_of_payload };

  void accept_request(const http::Request& request, const ServerSettings& settings);
  // The common case of parse_frames: whole messages in one frame each.
  std::size_t take_whole_messages(MutableBytes data, std::size_t pos);
  bool begin_frame();
  bool on_payload(MutableBytes chunk, bool whole_frame);
  bool finish_data_frame(Bytes last_chunk, bool whole_frame);
  // A message whose first frame had RSV bits, through the extensions.
  // False after failing the connection.
  bool restore_message(MessageType type, std::uint8_t rsv, Bytes& data);
  void on_control(Bytes payload);
  void on_close_frame(Bytes payload);
  // A whole message: text() and binary().
  bool send_message(Opcode opcode, Bytes payload, bool compress);
  bool send_frame(std::uint8_t first_byte, Bytes payload);
  void send_close(std::uint16_t code, std::string_view reason);

  struct PendingPing {
    std::string payload;
    std::function<void()> callback;
  };

  Role role_;
  Stage stage_ = Stage::header;  // of the frame parser (below)
  // Message reassembly: the type of the message in progress (continuation
  // when none), and the UTF-8 state of text; its bytes are in aside_.
  Opcode message_type_ = Opcode::continuation;
  Opcode frame_type_ = Opcode::continuation;  // data type of the current frame
  std::uint8_t message_rsv_ = 0;  // RSV bits of the incoming message's first frame
  Opcode sending_type_ = Opcode::text;  // type of the outgoing message in progress
  Utf8Validator utf8_;

 protected:
  // Negotiated extensions (client: offered, until the response arrives);
  // null when none, which keeps the framing path as it is without them.
  Extensions* negotiated() const noexcept { return aside_ ? aside_->negotiated.get() : nullptr; }
  // Null: none (any more).
  void set_negotiated(std::unique_ptr<Extensions> extensions);

 private:
  // Ends the connection: frees the extensions' state, then reports the close.
  void finish(std::uint16_t code, std::string_view reason);

  std::size_t max_length_;

  // What not every connection needs at every moment, in one box allocated
  // when first needed and freed when nothing in it is needed any more, so
  // that an idle connection holds a null pointer:
  // - input split across reads: a header's first bytes, a control frame's
  //   payload, a message's bytes (fragmented, or a frame that did not arrive
  //   whole), until the parser is back at a frame boundary;
  // - the server's handshake answer, decided in the constructor, until start();
  // - pings sent with a callback, until their pong;
  // - negotiated extensions, for the connection's life.
  struct Aside {
    std::string message;
    std::string control;
    std::uint8_t header_size = 0;  // bytes gathered into header_bytes
    std::uint8_t header_bytes[kMaxHeaderSize] = {};
    int reject_status = 0;  // 0 = accept; else the HTTP status of the refusal
    std::string handshake;  // the response head to send, or the reason for refusing
    std::vector<PendingPing> pings;
    std::unique_ptr<Extensions> negotiated;
  };
  Aside& aside();
  std::uint8_t gathered_header_size() const noexcept { return aside_ ? aside_->header_size : 0; }
  std::size_t message_size() const noexcept { return aside_ ? aside_->message.size() : 0; }
  // Frees aside_ when nothing in it is still needed (called between reads).
  void release_aside() noexcept;

  // Frame parser state (and stage_, above): the current frame's header,
  // where, once the payload has begun, `length` counts the bytes still to
  // come and `mask` is turned to line up with the next of them (no count of
  // the bytes received: 8 bytes less per connection).
  FrameHeader frame_;

  std::unique_ptr<Aside> aside_;
};

}  // namespace faye::driver
