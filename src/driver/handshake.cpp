#include "faye/driver/handshake.hpp"

#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <stdexcept>

#include "sha1.hpp"

namespace faye::driver {
namespace {

// RFC 6455 1.3: the GUID appended to the key before hashing.
constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// RFC 4648 4: base64's alphabet, for encoding and for checking keys.
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Base64 with padding: a dozen lines, and no call into OpenSSL's encoder
// (whose generic path costs more than the handshake's 20 bytes). Written in
// place after one resize, not appended 4 characters at a time.
void append_base64(std::string& out, Bytes bytes) {
  const std::size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* at = out.data() + start;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3, at += 4) {
    const std::uint32_t group =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    at[0] = kAlphabet[group >> 18];
    at[1] = kAlphabet[(group >> 12) & 63];
    at[2] = kAlphabet[(group >> 6) & 63];
    at[3] = kAlphabet[group & 63];
  }
  if (const std::size_t left = bytes.size() - i; left != 0) {
    const std::uint32_t group =
        (std::uint32_t{bytes[i]} << 16) | (left == 2 ? std::uint32_t{bytes[i + 1]} << 8 : 0);
    at[0] = kAlphabet[group >> 18];
    at[1] = kAlphabet[(group >> 12) & 63];
    at[2] = left == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    at[3] = '=';
  }
}

// A table: one load per character of the key (every handshake checks 22).
constexpr std::array<bool, 256> kBase64Chars = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : kAlphabet) table[c] = true;
  return table;
}();

bool is_base64_char(char c) {
  return kBase64Chars[static_cast<unsigned char>(c)];
}

}  // namespace

bool is_websocket(const http::Request& request) {
  return request.method == "GET" && request.headers.has_token("Upgrade", "websocket") &&
         request.headers.has_token("Connection", "upgrade");
}

Protocol detect_protocol(const http::Request& request) {
  if (request.headers.contains("Sec-WebSocket-Version")) return Protocol::hybi;
  if (request.headers.contains("Sec-WebSocket-Key1") ||
      request.headers.contains("Sec-WebSocket-Key2")) {
    return Protocol::draft76;
  }
  // hybi-00 ... hybi-06 carried Sec-WebSocket-Key without a version; they
  // are not spoken, and such a request is rejected as hybi rather than
  // mistaken for draft-75.
  if (request.headers.contains("Sec-WebSocket-Key")) return Protocol::hybi;
  return Protocol::draft75;
}

std::string base64_encode(Bytes bytes) {
  std::string out;
  append_base64(out, bytes);
  return out;
}

void append_accept_key(std::string& out, std::string_view key) {
  // A valid key is 24 characters; any other is hashed all the same.
  std::array<char, 128> buffer;
  std::string long_input;
  std::string_view input;
  if (key.size() + kGuid.size() <= buffer.size()) {
    std::memcpy(buffer.data(), key.data(), key.size());
    std::memcpy(buffer.data() + key.size(), kGuid.data(), kGuid.size());
    input = std::string_view(buffer.data(), key.size() + kGuid.size());
  } else {
    input = long_input.append(key).append(kGuid);
  }
  append_base64(out, sha1(as_bytes(input)));
}

std::string accept_key(std::string_view key) {
  std::string out;
  append_accept_key(out, key);
  return out;
}

std::string generate_key() {
  std::array<std::uint8_t, 16> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return base64_encode(nonce);
}

bool is_valid_key(std::string_view key) {
  // 16 bytes encode to 22 characters and "==" padding.
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (std::size_t i = 0; i < 22; ++i) {
    if (!is_base64_char(key[i])) return false;
  }
  // The last character holds 2 bits of data; the other 4 must be zero for a
  // canonical encoding: one of A, Q, g, w.
  char last = key[21];
  return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

std::optional<std::string> select_protocol(std::string_view offered,
                                           const std::vector<std::string>& supported) {
  for (std::string_view candidate : http::split_list(offered)) {
    for (const std::string& ours : supported) {
      if (candidate == ours) return ours;
    }
  }
  return std::nullopt;
}

}  // namespace faye::driver
