// permessage-deflate on the receiving side: a server Hybi with deflate
// negotiated (parameters chosen by the input) parses fuzzed frames, most
// with RSV1, at varying split points, answering with compressed sends.
// Input: 2 bytes of split seed, 1 byte of configuration, then frames.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "faye/driver/hybi.hpp"
#include "faye/driver/permessage_deflate.hpp"
#include "fuzz_handler.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faye::driver;
  if (size < 3) return 0;
  std::uint32_t seed = data[0] | (data[1] << 8);
  std::uint8_t config = data[2];
  data += 3;
  size -= 3;

  std::string offer = "permessage-deflate";
  if (config & 1) offer += "; client_no_context_takeover";
  if (config & 2) offer += "; server_no_context_takeover";
  offer += "; client_max_window_bits";
  DeflateOptions options{
      .mem_level = (config & 4) ? 1 : 8,
      .request_max_window_bits = 8 + ((config >> 3) & 7),
      .threshold = (config & 0x40) ? 16u : 0u,
  };
  faye::http::Request request;
  request.method = "GET";
  request.target = "/";
  request.headers = {{"Host", "example.com"},
                     {"Upgrade", "websocket"},
                     {"Connection", "Upgrade"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"Sec-WebSocket-Version", "13"},
                     {"Sec-WebSocket-Extensions", offer}};

  faye::fuzz::Handler handler;
  Hybi server(
      request, handler,
      {.max_length = 1 << 16, .extensions = {std::make_shared<PermessageDeflate>(options)}});
  server.start();
  if (server.extensions().empty()) __builtin_trap();
  faye::fuzz::feed_in_pieces(data, size, seed, [&](const std::string& chunk) {
    server.parse(chunk);
    server.text("echo", (config & 0x80) == 0);
    // The bound the driver promises: message buffers within max_length + 1
    // (compressed input, inflated output), plus zlib's state.
    if (server.memory_usage() > 3 * ((1u << 16) + 1) + 400 * 1024) __builtin_trap();
  });
  server.close(1000, "bye");
  return 0;
}
