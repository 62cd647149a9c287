#include "faye/driver/driver.hpp"

#include <vector>

namespace faye::driver {

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
