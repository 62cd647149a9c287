#include "faye/error.hpp"

namespace faye {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "faye"; }

  std::string message(int value) const override {
    switch (static_cast<Error>(value)) {
      case Error::bad_request: return "invalid WebSocket handshake request";
      case Error::unsupported_version: return "unsupported WebSocket version";
      case Error::bad_response: return "invalid WebSocket handshake response";
      case Error::unexpected_status: return "unexpected HTTP status in handshake response";
      case Error::bad_accept: return "Sec-WebSocket-Accept mismatch";
      case Error::bad_protocol: return "server selected a subprotocol that was not offered";
      case Error::bad_extension: return "invalid or unoffered WebSocket extension";
      case Error::handshake_too_large: return "handshake head too large";
      case Error::protocol_error: return "WebSocket protocol error";
      case Error::unacceptable_data: return "unacceptable data";
      case Error::invalid_utf8: return "invalid UTF-8 in text";
      case Error::message_too_big: return "message too big";
      case Error::extension_error: return "extension error";
      case Error::unexpected_condition: return "unexpected condition";
      case Error::connection_reset: return "connection closed without a close frame";
      case Error::close_timeout: return "peer did not answer the close frame in time";
      case Error::write_buffer_full: return "peer is not reading: outgoing buffer limit reached";
      case Error::connect_timeout: return "connection attempt timed out";
      case Error::handshake_timeout: return "handshake timed out";
    }
    return "unknown faye error";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace faye
