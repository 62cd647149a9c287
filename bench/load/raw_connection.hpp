// A WebSocket client connection on the raw path, set up by hand: a
// non-blocking TCP connect, TLS for wss://, the upgrade request written
// directly and the 101 checked (status, Upgrade, Connection, and the
// Sec-WebSocket-Accept computed from our key). Once open it is just a Stream
// that the engine writes pre-built frames to.
#pragma once

#include <cstdint>
#include <string>

#include "stream.hpp"
#include "target.hpp"

namespace faye::load {

class RawConnection {
 public:
  enum class Phase : std::uint8_t { idle, connecting, tls, upgrading, open, failed };

  // Creates the socket and starts connecting. `tls` is required for wss://.
  // `offer_deflate` adds permessage-deflate; client_no_context_takeover.
  Phase start(const Target& target, SSL_CTX* tls, bool offer_deflate);
  // Runs the setup as far as the socket allows; call on every readiness
  // until the phase is open or failed.
  Phase advance();
  // EPOLLIN / EPOLLOUT the current phase waits for.
  std::uint32_t wanted_events() const;

  Phase phase() const { return phase_; }
  Stream& stream() { return stream_; }
  int fd() const { return stream_.fd(); }
  // The server agreed to permessage-deflate.
  bool deflate() const { return deflate_; }
  // Bytes that followed the 101 in the same read: frames to parse first.
  const std::string& leftover() const { return buffer_; }
  void drop_leftover();
  const std::string& error() const { return error_; }
  void close();

 private:
  Phase fail(std::string message);
  Phase check_response(std::size_t head_end);

  const Target* target_ = nullptr;
  Stream stream_;
  Phase phase_ = Phase::idle;
  bool deflate_ = false;
  bool request_sent_ = false;
  std::size_t written_ = 0;
  std::string buffer_;  // the request while it is written, then the response
  std::string key_;
  std::string error_;
};

// base64(SHA-1(key + the RFC 6455 GUID)): RFC 6455 4.2.2.
std::string websocket_accept(const std::string& key);

}  // namespace faye::load
