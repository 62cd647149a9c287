// Client side: the fuzzer plays the server, answering our handshake with a
// response head of its choosing followed by frames. Half the runs get a
// correct Sec-WebSocket-Accept so that the framing is reached.
#include <cstddef>
#include <cstdint>
#include <string>

#include "faye/driver/client.hpp"
#include "faye/driver/handshake.hpp"
#include "faye/http/parser.hpp"
#include "fuzz_handler.hpp"

namespace {

// Keeps the first write: the handshake request, to answer.
struct CapturingHandler : faye::fuzz::Handler {
  std::string first_write;
  void write(faye::Bytes bytes) override {
    if (first_write.empty()) first_write.assign(faye::as_text(bytes));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint32_t seed = data[0] | (data[1] << 8);
  data += 2;
  size -= 2;

  static const faye::http::Url url = faye::http::Url::parse("ws://example.com/chat");
  CapturingHandler handler;
  faye::driver::Client client(url, handler, {.protocols = {"chat"}, .max_length = 1 << 16});
  client.start();

  std::string input;
  if (seed & 1) {
    faye::http::RequestParser request;
    request.parse(handler.first_write);
    std::string key(request.request().headers.get("Sec-WebSocket-Key").value_or(""));
    input = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: " + faye::driver::accept_key(key) + "\r\n\r\n";
  }
  input.append(reinterpret_cast<const char*>(data), size);
  faye::fuzz::feed_in_pieces(reinterpret_cast<const std::uint8_t*>(input.data()), input.size(),
                             seed >> 1, [&](const std::string& chunk) {
                               client.parse(chunk);
                               client.binary(faye::as_bytes(chunk));
                             });
  client.close(1000, "bye");
  return 0;
}
