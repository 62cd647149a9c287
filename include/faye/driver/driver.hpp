// The sans-I/O protocol driver, as in Faye's websocket-driver: bytes from the
// peer go in through parse(); events, and bytes for the peer, come out
// through a Handler. No sockets, threads or clocks.
//
// One class per protocol version implements this interface: Draft75, Draft76
// (hixie), Hybi (hybi-07 ... RFC 6455) and Client (RFC 6455, client role).
// driver::accept() picks the server-side class from the request.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "faye/bytes.hpp"

namespace faye::driver {

enum class ReadyState : std::uint8_t { connecting = 0, open = 1, closing = 2, closed = 3 };

enum class MessageType : std::uint8_t { text, binary };

// A complete message. The view is valid only during the on_message call: it
// may point into the bytes given to parse() (unmasked in place) or into the
// driver's reassembly buffer. Text has been validated as UTF-8.
struct Message {
  MessageType type;
  Bytes data;

  bool is_text() const { return type == MessageType::text; }
  std::string_view text() const { return as_text(data); }
};

// What the driver talks to: it reports events and writes bytes for the peer.
// Called synchronously from parse(), start() and the sending methods; a
// handler may call back into the driver. One interface for both, rather
// than a handler and a separate sink: a driver then holds one reference, and
// a socket implementing both (WebSocket::Core) one vtable pointer, 8 bytes
// each per connection.
class Handler {
 public:
  virtual ~Handler() = default;
  // Bytes for the peer, in order.
  virtual void write(Bytes bytes) = 0;
  // Bytes for the peer that the driver writes where the transport keeps
  // them: `fill(at, context)` writes exactly `size` bytes at `at`. Small
  // frames go out this way, assembled (a client's masked) once, in place,
  // rather than in a buffer of the driver's and copied from there. The
  // default fills a buffer of its own for write().
  using Fill = void (*)(std::uint8_t* at, const void* context);
  virtual void write_in_place(std::size_t size, Fill fill, const void* context);
  virtual void on_open() {}
  virtual void on_message(const Message& message) = 0;
  virtual void on_ping(Bytes /*payload*/) {}
  virtual void on_pong(Bytes /*payload*/) {}
  // The closing handshake is over (or the connection failed): the transport
  // should be closed once everything written so far has been flushed.
  virtual void on_close(std::uint16_t /*code*/, std::string_view /*reason*/) {}
  // A protocol or handshake failure. Always followed by on_close.
  virtual void on_error(std::error_code /*error*/, std::string_view /*message*/) {}
};

// Close codes (RFC 6455 7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unacceptable = 1003;
inline constexpr std::uint16_t no_status = 1005;   // never sent: no code in the frame
inline constexpr std::uint16_t abnormal = 1006;    // never sent: no close frame at all
inline constexpr std::uint16_t invalid_data = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_large = 1009;
inline constexpr std::uint16_t extension_error = 1010;
inline constexpr std::uint16_t unexpected_condition = 1011;

// Whether a peer may send this code in a close frame: 1000-1003, 1007-1014
// (1012-1014 are IANA-registered and sent by real servers), 3000-4999.
constexpr bool is_valid_on_wire(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}
}  // namespace close_code

// Default message size limit, as Faye: 2^26 - 1 bytes.
inline constexpr std::size_t default_max_length = (std::size_t{1} << 26) - 1;

class Driver {
 public:
  explicit Driver(Handler& handler) : handler_(handler) {}
  virtual ~Driver() = default;
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  ReadyState ready_state() const { return state_; }
  // "hixie-75", "hixie-76", "hybi-13", "hybi-8", ...: a view of static
  // storage, valid after the driver is gone.
  virtual std::string_view version() const = 0;
  // The subprotocol agreed in the handshake, empty if none.
  const std::string& protocol() const;
  // The Sec-WebSocket-Extensions value agreed in the handshake, empty if none.
  const std::string& extensions() const;

  // Server: writes the handshake response (or its rejection). Client: writes
  // the handshake request. Call once, before the first parse().
  virtual void start() = 0;

  // Feeds bytes received from the peer. The bytes may be modified (frames
  // are unmasked in place) and must not be used by the caller afterwards.
  virtual void parse(MutableBytes data) = 0;
  // Copying convenience for callers that hold const bytes.
  void parse(std::string_view data);

  // Sending. Each returns false, and sends nothing, when the socket is not
  // open or the protocol cannot carry the request (binary on hixie drafts).
  virtual bool text(std::string_view message) = 0;
  virtual bool binary(Bytes message) = 0;
  // `on_pong` runs when a pong with the same payload arrives.
  virtual bool ping(Bytes payload = {}, std::function<void()> on_pong = {});
  virtual bool pong(Bytes payload = {});
  // Starts the closing handshake. On hixie drafts the socket closes at once.
  virtual bool close(std::uint16_t code = close_code::normal, std::string_view reason = {}) = 0;

 private:
  // Most connections agree on neither: one pointer instead of two empty
  // strings per connection. (Declared first so that state_ ends the object
  // and a subclass's small fields fill the padding after it.)
  struct Agreed {
    std::string protocol;
    std::string extensions;
  };
  std::unique_ptr<Agreed> agreed_;

 protected:
  Handler& handler_;
  ReadyState state_ = ReadyState::connecting;

  // Set during the handshake, before open.
  void set_protocol(std::string protocol);
  void set_extensions(std::string extensions);

  void write(Bytes bytes) { handler_.write(bytes); }
  void write(std::string_view bytes) { handler_.write(as_bytes(bytes)); }
  void open();
  // Emits the error, then closes with `code` (state closed, on_close fired).
  // Subclasses decide what goes on the wire first.
  void emit_error(std::error_code error, std::string_view message);
  void finish_close(std::uint16_t code, std::string_view reason);
};

}  // namespace faye::driver
