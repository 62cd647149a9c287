// Fuzzes the hixie drafts' server drivers (Draft75, Draft76).
//
// Input: byte 0 picks the draft (bit 0) and a max_length (bits 1-2); byte 1
// seeds the split points; the rest is what the client sends after its
// request head (for draft-76: key3, then frames).
//
// The same input is parsed twice, at once and in random pieces (one byte at a
// time included); both runs must report the same events and write the same
// bytes. The handler echoes every message, so sending runs re-entrantly too,
// and checks the contract: nothing after on_close, on_error always followed
// by on_close, messages only while open.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "faye/driver/draft75.hpp"
#include "faye/driver/draft76.hpp"
#include "faye/driver/utf8.hpp"

namespace {

using namespace faye;
using namespace faye::driver;

void check(bool condition) {
  if (!condition) std::abort();
}

class CheckingHandler : public Handler {
 public:
  Driver* driver = nullptr;
  std::string events;
  std::string written;

  void write(Bytes data) override { written.append(as_text(data)); }

  void on_open() override {
    check(!opened_ && !closed_);
    opened_ = true;
    events += "open;";
  }
  void on_message(const Message& message) override {
    check(opened_ && !closed_ && message.is_text() && is_valid_utf8(message.data));
    events += "message:";
    events += message.text();
    events += ';';
    check(driver->text(message.text()));
  }
  void on_error(std::error_code error, std::string_view message) override {
    check(!closed_ && !error_pending_);
    error_pending_ = true;
    events += "error:" + std::to_string(error.value()) + ":" + std::string(message) + ";";
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    check(!closed_);
    closed_ = true;
    error_pending_ = false;
    events += "close:" + std::to_string(code) + ":" + std::string(reason) + ";";
  }

  void finish() const { check(!error_pending_); }

 private:
  bool opened_ = false;
  bool closed_ = false;
  bool error_pending_ = false;
};

http::Request make_request(bool draft76) {
  http::Request request;
  request.method = "GET";
  request.target = "/fuzz";
  request.headers = {{"Host", "example.com"},
                     {"Upgrade", "WebSocket"},
                     {"Connection", "Upgrade"},
                     {"Origin", "http://example.com"}};
  if (draft76) {
    request.headers.add("Sec-WebSocket-Key1", "18x 6]8vM;54 *(5:  {   U1]8  z [  8");
    request.headers.add("Sec-WebSocket-Key2", "1_ tx7X d  <  nw  334J702) 7]o}` 0");
  }
  return request;
}

struct Run {
  std::string events;
  std::string written;
};

// Splits with a tiny xorshift generator: pieces of 1 to 16 bytes, now and
// then a larger one, so both byte-at-a-time and bulk paths are exercised.
Run run(bool draft76, std::size_t max_length, const std::uint8_t* data, std::size_t size,
        std::uint32_t seed) {
  CheckingHandler handler;
  ServerOptions options;
  options.max_length = max_length;
  const http::Request request = make_request(draft76);
  std::unique_ptr<Driver> driver;
  if (draft76) {
    driver = std::make_unique<Draft76>(request, handler, options);
  } else {
    driver = std::make_unique<Draft75>(request, handler, options);
  }
  handler.driver = driver.get();
  driver->start();

  std::uint32_t state = seed | 1;
  std::size_t offset = 0;
  while (offset < size) {
    std::size_t piece = size - offset;
    if (seed != 0) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      piece = (state % 8 == 0) ? (state >> 8) % 256 + 1 : state % 16 + 1;
      if (piece > size - offset) piece = size - offset;
    }
    // parse() may modify its bytes: give it a copy, as a transport would.
    std::vector<std::uint8_t> copy(data + offset, data + offset + piece);
    driver->parse(MutableBytes(copy));
    offset += piece;
  }
  handler.finish();
  return {std::move(handler.events), std::move(handler.written)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool draft76 = data[0] & 1;
  static constexpr std::size_t max_lengths[] = {default_max_length, 0, 4, 64};
  const std::size_t max_length = max_lengths[(data[0] >> 1) & 3];
  const std::uint32_t seed = data[1] + 1u;

  Run whole = run(draft76, max_length, data + 2, size - 2, 0);
  Run split = run(draft76, max_length, data + 2, size - 2, seed);
  check(whole.events == split.events);
  check(whole.written == split.written);
  return 0;
}
