// Character classes of HTTP/1.1 heads, one table for everything in http/
// that checks them: the request parsers and the server's check of the
// application's response fields.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace faye::http::detail {

enum CharClass : std::uint8_t {
  kTchar = 1,   // RFC 9110 5.6.2 token character: field names, methods
  kTarget = 2,  // RFC 3986 characters of a path and query, '%' included
  kValue = 4,   // printable ASCII, SP and HTAB (RFC 9110 5.5 without obs-text)
};

inline constexpr std::array<std::uint8_t, 256> kCharClasses = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0x21; c < 0x7f; ++c) table[c] |= kValue;
  table[' '] |= kValue;
  table['\t'] |= kValue;
  for (int c = 0; c < 256; ++c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) table[c] |= kTchar | kTarget;
  }
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] |= kTchar;
  for (char c : std::string_view("-._~!$&'()*+,;=:@/?%")) {
    table[static_cast<unsigned char>(c)] |= kTarget;
  }
  return table;
}();

inline bool is(char c, CharClass what) {
  return (kCharClasses[static_cast<unsigned char>(c)] & what) != 0;
}

// A non-empty run of token characters (a field name).
inline bool is_token(std::string_view s) {
  std::uint8_t all = kTchar;
  for (char c : s) all &= kCharClasses[static_cast<unsigned char>(c)];
  return !s.empty() && all != 0;
}

}  // namespace faye::http::detail
