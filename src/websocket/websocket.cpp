// faye::WebSocket's public methods: calls from the loop's thread go straight
// to the Core; calls from other threads copy their arguments and are posted.
#include "faye/websocket.hpp"

#include "core.hpp"

namespace faye {

WebSocket::WebSocket() = default;
WebSocket::~WebSocket() = default;

bool WebSocket::send(std::string_view text, SendOptions options) {
  Core& core = this->core();
  if (core.loop().on_loop_thread()) return core.send_text(text, options.compress);
  if (core.state() != ReadyState::open) return false;
  auto self = core.alive();
  if (!self) return false;
  core.in_flight += text.size();
  core.loop().post([self = std::move(self), copy = std::string(text), options] {
    self->core().in_flight -= copy.size();
    self->core().send_text(copy, options.compress);
  });
  return true;
}

bool WebSocket::send(Bytes binary, SendOptions options) {
  Core& core = this->core();
  if (core.loop().on_loop_thread()) return core.send_binary(binary, options.compress);
  if (core.state() != ReadyState::open) return false;
  auto self = core.alive();
  if (!self) return false;
  core.in_flight += binary.size();
  core.loop().post([self = std::move(self), copy = std::string(as_text(binary)), options] {
    self->core().in_flight -= copy.size();
    self->core().send_binary(as_bytes(copy), options.compress);
  });
  return true;
}

bool WebSocket::send(const MessageData& message) {
  // The echo of a message, usually from onmessage on the loop: straight on.
  Core& core = this->core();
  if (core.loop().on_loop_thread()) {
    return message.is_text() ? core.send_text(message.text()) : core.send_binary(message.bytes());
  }
  return message.is_text() ? send(message.text()) : send(message.bytes());
}

bool WebSocket::ping(std::string_view payload, std::function<void()> on_pong) {
  Core& core = this->core();
  if (core.loop().on_loop_thread()) return core.ping(payload, std::move(on_pong));
  if (core.state() != ReadyState::open || payload.size() > 125) return false;
  auto self = core.alive();
  if (!self) return false;
  core.loop().post([self = std::move(self), copy = std::string(payload),
                    callback = std::move(on_pong)]() mutable {
    self->core().ping(copy, std::move(callback));
  });
  return true;
}

void WebSocket::close(std::uint16_t code, std::string_view reason) {
  Core& core = this->core();
  if (core.loop().on_loop_thread()) return core.close(code, reason);
  // Null once finished: then there is nothing to close.
  auto self = core.alive();
  if (!self) return;
  core.loop().post([self = std::move(self), code, copy = std::string(reason)] {
    self->core().close(code, copy);
  });
}

ReadyState WebSocket::ready_state() const { return core().state(); }
std::size_t WebSocket::buffered_amount() const { return core().buffered_amount(); }
std::string WebSocket::protocol() const { return core().protocol(); }
std::string WebSocket::version() const { return std::string(core().version()); }
std::string WebSocket::url() const { return std::string(core().url()); }
std::string WebSocket::extensions() const { return core().extensions(); }
net::EventLoop& WebSocket::loop() const { return core().loop(); }

}  // namespace faye
