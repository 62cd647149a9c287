// Extension negotiation and the per-message pipeline (RFC 6455 9), in the
// manner of Faye's websocket-extensions: the protocol driver knows nothing of
// any particular extension. Each Extension names itself, owns RSV bits, and
// makes a session per connection; Extensions negotiates them and runs the
// active sessions over every message.
//
// Outgoing messages pass the sessions in activation order and incoming ones
// in reverse, so the last to transform a message is the first to undo it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "faye/bytes.hpp"
#include "faye/driver/driver.hpp"
#include "faye/driver/extension_header.hpp"
#include "faye/error.hpp"

namespace faye::driver {

// A message (incoming) or one frame of a message (outgoing) on its way
// through the sessions.
struct ExtensionMessage {
  MessageType type = MessageType::text;
  // RSV bits of the message's first frame. Incoming: a session clears the
  // bits it undid. Outgoing: a session sets the bits it used (they go on the
  // first frame only; RFC 7692 6: "the RSV1 bit is set only on the first
  // frame").
  std::uint8_t rsv = 0;
  // The payload. A session that changes it writes into the buffer it is
  // given and points `data` there.
  Bytes data;
  // Outgoing: where this frame lies in its message (both true for a message
  // sent whole) and whether the sender allows compressing it.
  bool first = true;
  bool fin = true;
  bool compress = true;
  // Incoming: the largest payload a session may produce (the connection's
  // max_length); more is a 1009 failure.
  std::size_t max_length = default_max_length;
};

// The outcome of a session's step: success, or how to fail the connection.
struct ExtensionStatus {
  std::uint16_t close_code = 0;  // 0: success
  Error error = Error::extension_error;
  std::string message;

  bool ok() const { return close_code == 0; }
  static ExtensionStatus failure(Error error, std::uint16_t code, std::string message) {
    return {code, error, std::move(message)};
  }
};

// An extension's state on one connection, once negotiated.
class ExtensionSession {
 public:
  virtual ~ExtensionSession() = default;
  // `out` is empty (it may hold capacity from earlier messages); a session
  // that transforms the payload appends to it and points message.data at it.
  virtual ExtensionStatus process_incoming(ExtensionMessage& message, std::string& out) = 0;
  virtual ExtensionStatus process_outgoing(ExtensionMessage& message, std::string& out) = 0;
  // The connection is closing: release what the session holds.
  virtual void close() {}
  // Heap bytes the session holds now.
  virtual std::size_t memory_usage() const { return 0; }
};

class ClientExtensionSession : public ExtensionSession {
 public:
  // Parameter sets to offer, in order of preference; none: don't offer.
  virtual std::vector<ExtensionParams> generate_offer() = 0;
  // The server's answer: false if it is not acceptable (unknown or
  // duplicated parameters, values we did not allow).
  virtual bool activate(const ExtensionParams& response) = 0;
};

class ServerExtensionSession : public ExtensionSession {
 public:
  // The parameters to answer the accepted offer with.
  virtual ExtensionParams generate_response() = 0;
};

// An extension a server or client supports. One object serves every
// connection (it may be shared between threads: make sessions, keep no
// per-connection state). Sessions may outlive it: they copy what they need.
class Extension {
 public:
  virtual ~Extension() = default;
  // The extension token, e.g. "permessage-deflate".
  virtual std::string_view name() const = 0;
  // The RSV bits it owns (kRsv1 | kRsv2 | kRsv3), and no others may be set
  // on frames once it is active (RFC 6455 5.2).
  virtual std::uint8_t rsv() const = 0;
  // Client side: a session to offer, or null to offer nothing.
  virtual std::unique_ptr<ClientExtensionSession> create_client_session() = 0;
  // Server side: the client's offers for this extension, in its order of
  // preference. A session for the first acceptable one, or null to decline.
  virtual std::unique_ptr<ServerExtensionSession> create_server_session(
      std::span<const ExtensionParams> offers) = 0;
};

using ExtensionList = std::vector<std::shared_ptr<Extension>>;

// Negotiation and the message pipeline of one connection.
class Extensions {
 public:
  Extensions() = default;
  Extensions(const Extensions&) = delete;
  Extensions& operator=(const Extensions&) = delete;

  // Client: the Sec-WebSocket-Extensions value offering every registered
  // extension (empty if none makes an offer). Throws std::invalid_argument
  // on misuse: two extensions with one name, a name that is not a token.
  std::string generate_offer(const ExtensionList& registered);
  // Client: activates the sessions the server accepted, in the order of its
  // response. False, with `error` set, on a malformed header, an extension
  // not offered, two extensions claiming one RSV bit, or parameters the
  // session refuses: the client must then fail the connection (RFC 6455
  // 4.1, 9.1).
  bool activate(std::string_view response, std::string& error);

  // Server: walks the registered extensions in order, skipping any whose
  // RSV bits an earlier one took, and returns the response value (empty if
  // nothing was accepted). False, with `error` set, on a malformed header.
  bool generate_response(const ExtensionList& registered, std::string_view offer,
                         std::string& response, std::string& error);

  bool active() const { return !active_.empty(); }
  // The RSV bits the active sessions own.
  std::uint8_t rsv() const { return rsv_; }

  // Runs an incoming message through the sessions in reverse activation
  // order. message.data then stays valid until release_incoming().
  ExtensionStatus process_incoming(ExtensionMessage& message);
  // Runs an outgoing frame through the sessions in activation order.
  // message.data then stays valid until release_outgoing().
  ExtensionStatus process_outgoing(ExtensionMessage& message);
  // Drops large buffers once a message has been delivered or written, so an
  // idle connection holds none.
  void release_incoming();
  void release_outgoing();

  // Closes every session and frees the buffers.
  void close();
  // Heap bytes held by the sessions and the pipeline's buffers.
  std::size_t memory_usage() const;

 private:
  struct Active {
    std::string name;
    std::uint8_t rsv;
    std::unique_ptr<ExtensionSession> session;
  };
  struct Offered {
    std::string name;
    std::uint8_t rsv;
    std::unique_ptr<ClientExtensionSession> session;
  };

  ExtensionStatus run(ExtensionMessage& message, bool incoming);

  std::vector<Offered> offered_;  // client, between offer and activation
  std::vector<Active> active_;
  std::uint8_t rsv_ = 0;
  // Two buffers per direction, so that a session reads the previous one's
  // output while writing its own.
  std::string incoming_[2];
  std::string outgoing_[2];
};

}  // namespace faye::driver
