// Server side of draft-hixie-thewebsocketprotocol-76 (draft-ietf-hybi-00):
// draft-75's framing plus a closing frame (0xFF 0x00) and a challenge in the
// handshake. The client sends Sec-WebSocket-Key1 and -Key2 in the head and
// eight more bytes (key3) after it, with no Content-Length; the server proves
// it understood by answering with MD5(part1, part2, key3) after its head.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "faye/driver/draft75.hpp"

namespace faye::driver {

// The part of the challenge a Sec-WebSocket-Key1/Key2 value stands for: its
// digits read as one decimal number, divided by its number of spaces.
// nullopt when the draft says to abort (section 5.2): no spaces, a number
// above 2^32-1, or a number that is not a multiple of the spaces.
std::optional<std::uint32_t> draft76_key_number(std::string_view key);

// The 16-byte answer: MD5 of part1 and part2 as big-endian 32-bit integers
// followed by key3. nullopt only if OpenSSL refuses MD5 (a FIPS-only setup).
std::optional<std::array<std::uint8_t, 16>> draft76_answer(std::uint32_t part1, std::uint32_t part2,
                                                           std::span<const std::uint8_t, 8> key3);

class Draft76 : public Draft75 {
 public:
  Draft76(const http::Request& request, Handler& handler, const ServerSettings& settings);
  Draft76(const http::Request& request, Handler& handler, const ServerOptions& options = {})
      : Draft76(request, handler, ServerSettings(options)) {}

  std::string_view version() const override { return "hixie-76"; }

  // Writes the response head, or an HTTP 400 (then on_error and on_close
  // 1002) when the keys are invalid. The socket opens once key3 has arrived:
  // from the request body if the HTTP layer read it, or through parse().
  void start() override;
  void parse(MutableBytes data) override;
  using Driver::parse;

 protected:
  bool has_closing_frame() const override { return true; }

 private:
  static constexpr std::size_t key3_size = 8;

  std::optional<std::uint32_t> part1_;
  std::optional<std::uint32_t> part2_;
  std::array<std::uint8_t, key3_size> key3_{};
  std::uint8_t key3_received_ = 0;
  bool head_sent_ = false;
};

}  // namespace faye::driver
