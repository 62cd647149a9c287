// Server side of draft-hixie-thewebsocketprotocol-75, the first WebSocket
// protocol shipped by browsers (Chrome 4, Safari 5.0).
//
// Wire format, shared with draft-76:
//   0x00 <UTF-8 text> 0xFF            a text message
//   0x01..0x7F <bytes> 0xFF           a sentinel frame of an unknown type: discarded
//   0x80..0xFF <length> <bytes>       a length-prefixed frame: skipped; the length
//                                     is in 7-bit groups, most significant first,
//                                     the high bit meaning "more groups follow"
// There is no binary message, no ping and, in draft-75, no closing frame:
// closing the connection is closing the TCP stream.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "faye/driver/driver.hpp"
#include "faye/driver/server.hpp"
#include "faye/driver/utf8.hpp"
#include "faye/error.hpp"
#include "faye/http/request.hpp"

namespace faye::driver {

class Draft75 : public Driver {
 public:
  Draft75(const http::Request& request, Handler& handler, const ServerSettings& settings);
  Draft75(const http::Request& request, Handler& handler, const ServerOptions& options = {})
      : Draft75(request, handler, ServerSettings(options)) {}

  std::string_view version() const override { return "hixie-75"; }

  // Writes the handshake response and opens the socket.
  void start() override;
  void parse(MutableBytes data) override;
  using Driver::parse;

  // False, sending nothing, when the socket is not open or the text contains
  // a 0xFF byte (never part of valid UTF-8, and it would end the frame early).
  bool text(std::string_view message) override;
  // The hixie drafts cannot carry binary messages.
  bool binary(Bytes message) override;
  // Closes at once: the drafts' closing handshake carries no code or reason,
  // so on_close always reports 1000.
  bool close(std::uint16_t code = close_code::normal, std::string_view reason = {}) override;

 protected:
  // What differs between the two drafts' handshake responses.
  struct Dialect {
    std::string_view status_line;    // without CRLF
    std::string_view header_prefix;  // "" or "Sec-" before Origin/Location/Protocol
  };

  Draft75(const http::Request& request, Handler& handler, const ServerSettings& settings,
          const Dialect& dialect);

  // Draft-76 ends the connection with an empty 0xFF frame; draft-75 has none.
  virtual bool has_closing_frame() const { return false; }

  // The head of the 101 response, built at construction so that the request
  // need not outlive the constructor. Emptied once written.
  std::string handshake_head_;

  // Reports a peer's fault: on the wire the closing frame (if any), then the
  // error and on_close with `code`.
  void fail(Error error, std::uint16_t code, std::string_view message);

 private:
  enum class Stage : std::uint8_t { frame_type, length, text, discard, skip };

  void parse_text(Bytes data, std::size_t& offset);
  void deliver(Bytes text);
  void receive_closing_frame();
  void write_closing_frame();

  std::size_t max_length_;
  // Declared length of a length-prefixed frame, then the part still to skip.
  std::uint64_t length_ = 0;
  // A text message split across parse() calls (whole frames within one call
  // are delivered straight from the caller's bytes).
  std::vector<std::uint8_t> buffer_;
  Utf8Validator utf8_;
  Stage stage_ = Stage::frame_type;
  std::uint8_t frame_type_ = 0;
};

}  // namespace faye::driver
