// The library's errors: one enum, one std::error_category. Faults of the peer
// become error events carrying one of these codes; they are never thrown.
#pragma once

#include <string>
#include <system_error>

namespace faye {

enum class Error {
  // Handshake
  bad_request = 1,         // not a valid WebSocket upgrade request (HTTP 400)
  unsupported_version,     // Sec-WebSocket-Version we don't speak (HTTP 426)
  bad_response,            // the server's handshake response is invalid
  unexpected_status,       // the server answered with a status other than 101
  bad_accept,              // Sec-WebSocket-Accept does not match our key
  bad_protocol,            // the server picked a subprotocol we did not offer
  bad_extension,           // an extension was not offered, or malformed
  handshake_too_large,     // the handshake head exceeds its limit
  // Framing (RFC 6455 close codes in brackets)
  protocol_error,          // [1002]
  unacceptable_data,       // [1003]
  invalid_utf8,            // [1007]
  message_too_big,         // [1009]
  extension_error,         // [1010]
  unexpected_condition,    // [1011]
  // Transport
  connection_reset,        // the peer went away without a close frame [1006]
  close_timeout,           // the peer never answered our close frame [1006]
  write_buffer_full,       // the peer reads slower than we write [1008]
  connect_timeout,
  handshake_timeout,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(Error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace faye

template <>
struct std::is_error_code_enum<faye::Error> : std::true_type {};
