#include "faye/driver/driver.hpp"

#include <utility>
#include <vector>

namespace faye::driver {
namespace {

const std::string none;

}  // namespace

void Handler::write_in_place(std::size_t size, Fill fill, const void* context) {
  std::uint8_t small[256];
  std::vector<std::uint8_t> large;
  std::uint8_t* at = small;
  if (size > sizeof small) {
    large.resize(size);
    at = large.data();
  }
  fill(at, context);
  write(Bytes(at, size));
}

const std::string& Driver::protocol() const { return agreed_ ? agreed_->protocol : none; }
const std::string& Driver::extensions() const { return agreed_ ? agreed_->extensions : none; }

void Driver::set_protocol(std::string protocol) {
  if (!agreed_) agreed_ = std::make_unique<Agreed>();
  agreed_->protocol = std::move(protocol);
}

void Driver::set_extensions(std::string extensions) {
  if (!agreed_) agreed_ = std::make_unique<Agreed>();
  agreed_->extensions = std::move(extensions);
}

void Driver::parse(std::string_view data) {
  std::vector<std::uint8_t> copy(data.begin(), data.end());
  parse(MutableBytes(copy));
}

bool Driver::ping(Bytes, std::function<void()>) { return false; }
bool Driver::pong(Bytes) { return false; }

void Driver::open() {
  if (state_ != ReadyState::connecting) return;
  state_ = ReadyState::open;
  handler_.on_open();
}

void Driver::emit_error(std::error_code error, std::string_view message) {
  handler_.on_error(error, message);
}

void Driver::finish_close(std::uint16_t code, std::string_view reason) {
  if (state_ == ReadyState::closed) return;
  state_ = ReadyState::closed;
  handler_.on_close(code, reason);
}

}  // namespace faye::driver
