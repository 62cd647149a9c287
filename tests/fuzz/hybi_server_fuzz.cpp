// Server side: an HTTP upgrade request of the fuzzer's choosing, then frames,
// through RequestParser, driver::accept and parse() at varying split points.
#include <cstddef>
#include <cstdint>

#include "faye/driver/server.hpp"
#include "faye/http/parser.hpp"
#include "fuzz_handler.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::uint32_t seed = data[0] | (data[1] << 8);
  data += 2;
  size -= 2;

  faye::http::RequestParser parser;
  std::size_t used = parser.parse({reinterpret_cast<const char*>(data), size});
  if (!parser.complete()) return 0;

  faye::fuzz::Handler handler;
  faye::driver::ServerOptions options{.protocols = {"chat", "echo"}, .max_length = 1 << 16};
  auto driver = faye::driver::accept(parser.request(), handler, options);
  driver->start();
  faye::fuzz::feed_in_pieces(data + used, size - used, seed, [&](const std::string& chunk) {
    driver->parse(chunk);
    // Interleave sends, as a live application would.
    driver->text("echo");
  });
  driver->close(1000, "bye");
  return 0;
}
