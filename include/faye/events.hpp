// The events of the browser's WebSocket API (and EventSource), as C++ types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "faye/bytes.hpp"
#include "faye/driver/driver.hpp"

namespace faye {

using ReadyState = driver::ReadyState;  // connecting, open, closing, closed

// A received message: text (valid UTF-8) or binary. A view, valid during the
// event handler only; copy it with to_string() to keep it, or pass it to
// send() to echo it with the same type.
class MessageData {
 public:
  MessageData(Bytes bytes, bool text) : bytes_(bytes), text_(text) {}

  bool is_text() const { return text_; }
  bool is_binary() const { return !text_; }
  std::string_view text() const { return as_text(bytes_); }
  Bytes bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  std::string to_string() const { return std::string(text()); }

 private:
  Bytes bytes_;
  bool text_;
};

struct OpenEvent {};

struct MessageEvent {
  MessageData data;
};

struct ErrorEvent {
  std::error_code error;  // faye::Error, or a system / TLS error
  std::string message;    // says what went wrong, for people
};

struct CloseEvent {
  std::uint16_t code = 1005;  // 1006 when the connection dropped without a close frame
  std::string reason;
  bool was_clean = false;     // the closing handshake completed
};

}  // namespace faye
