// Client frames built ahead of time: the raw engine masks a message once and
// then sends the same bytes over and over (RFC 6455 5.3 asks for a fresh
// mask per frame; a load generator trades that for speed, the server can't
// tell the difference).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace faye::load {

constexpr std::uint8_t kOpText = 0x1;
constexpr std::uint8_t kOpBinary = 0x2;
constexpr std::uint8_t kOpClose = 0x8;
constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kRsv1 = 0x40;

// The message each connection sends: printable text, or binary that is
// neither all zeros nor valid UTF-8, so that a server mixing them up is caught.
std::vector<std::uint8_t> make_payload(std::size_t size, bool binary);

// Appends one masked client frame: `first_byte` is FIN | RSV | opcode.
void append_masked_frame(std::vector<std::uint8_t>& out, std::uint8_t first_byte,
                         const std::uint8_t* payload, std::size_t size,
                         std::array<std::uint8_t, 4> mask);

// The message as permessage-deflate sends it without context takeover: raw
// DEFLATE, flushed, with the trailing 00 00 FF FF removed (RFC 7692 7.2.1).
// Identical for every message, so it is computed once.
std::vector<std::uint8_t> deflate_message(const std::vector<std::uint8_t>& payload);

// A close frame with status 1000, masked.
std::vector<std::uint8_t> masked_close_frame(std::array<std::uint8_t, 4> mask);

}  // namespace faye::load
