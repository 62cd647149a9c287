// faye::WebSocket's public methods: calls from the loop's thread go straight
// to the Core; calls from other threads copy their arguments and are posted.
#include "faye/websocket.hpp"

#include "core.hpp"

namespace faye {

WebSocket::WebSocket() = default;
WebSocket::~WebSocket() = default;

bool WebSocket::send(std::string_view text, SendOptions options) {
  Core& core = *core_;
  if (core.loop().on_loop_thread()) return core.send_text(text, options.compress);
  if (core.state() != ReadyState::open) return false;
  core.in_flight += text.size();
  core.loop().post([self = shared_from_this(), copy = std::string(text), options] {
    self->core_->in_flight -= copy.size();
    self->core_->send_text(copy, options.compress);
  });
  return true;
}

bool WebSocket::send(Bytes binary, SendOptions options) {
  Core& core = *core_;
  if (core.loop().on_loop_thread()) return core.send_binary(binary, options.compress);
  if (core.state() != ReadyState::open) return false;
  core.in_flight += binary.size();
  core.loop().post([self = shared_from_this(), copy = std::string(as_text(binary)), options] {
    self->core_->in_flight -= copy.size();
    self->core_->send_binary(as_bytes(copy), options.compress);
  });
  return true;
}

bool WebSocket::send(const MessageData& message) {
  // The echo of a message, usually from onmessage on the loop: straight on.
  Core& core = *core_;
  if (core.loop().on_loop_thread()) {
    return message.is_text() ? core.send_text(message.text()) : core.send_binary(message.bytes());
  }
  return message.is_text() ? send(message.text()) : send(message.bytes());
}

bool WebSocket::ping(std::string_view payload, std::function<void()> on_pong) {
  Core& core = *core_;
  if (core.loop().on_loop_thread()) return core.ping(payload, std::move(on_pong));
  if (core.state() != ReadyState::open || payload.size() > 125) return false;
  core.loop().post([self = shared_from_this(), copy = std::string(payload),
                    callback = std::move(on_pong)]() mutable {
    self->core_->ping(copy, std::move(callback));
  });
  return true;
}

void WebSocket::close(std::uint16_t code, std::string_view reason) {
  Core& core = *core_;
  if (core.loop().on_loop_thread()) return core.close(code, reason);
  core.loop().post([self = shared_from_this(), code, copy = std::string(reason)] {
    self->core_->close(code, copy);
  });
}

ReadyState WebSocket::ready_state() const { return core_->state(); }
std::size_t WebSocket::buffered_amount() const { return core_->buffered_amount(); }
std::string WebSocket::protocol() const { return core_->protocol(); }
std::string WebSocket::version() const { return std::string(core_->version()); }
std::string WebSocket::url() const { return std::string(core_->url()); }
std::string WebSocket::extensions() const { return core_->extensions(); }
net::EventLoop& WebSocket::loop() const { return core_->loop(); }

}  // namespace faye
