// Server-side handshake rules shared by the protocol classes: is this a
// WebSocket request, which protocol does it speak, and the RFC 6455 keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "faye/bytes.hpp"
#include "faye/http/request.hpp"

namespace faye::driver {

enum class Protocol { draft75, draft76, hybi };

// GET with `Upgrade: websocket` and `Connection: upgrade` (case-insensitive
// token lists). Says nothing about the version or the keys.
bool is_websocket(const http::Request& request);

// Which protocol family the request speaks: Sec-WebSocket-Version means hybi
// (whatever its value: unsupported values are rejected by Hybi with 426),
// Sec-WebSocket-Key1/Key2 mean draft-76, neither means draft-75.
Protocol detect_protocol(const http::Request& request);

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 4.2.2).
std::string accept_key(std::string_view key);
// The same, appended to `out` (a response head) without temporary strings.
void append_accept_key(std::string& out, std::string_view key);
// A new random Sec-WebSocket-Key: base64 of 16 random bytes.
std::string generate_key();
// True when `key` is the base64 encoding of exactly 16 bytes (RFC 6455 4.1).
bool is_valid_key(std::string_view key);

// The first protocol in the client's comma-separated offer that the server
// supports, or nullopt.
std::optional<std::string> select_protocol(std::string_view offered,
                                           const std::vector<std::string>& supported);

std::string base64_encode(Bytes bytes);

}  // namespace faye::driver
