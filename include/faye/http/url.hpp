// ws://, wss://, http:// and https:// URLs (the RFC 3986 subset that RFC 6455
// 3 uses): what the client connects to, and the proxy it may go through.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace faye::http {

struct Url {
  std::string scheme;      // lower-case: "ws", "wss", "http", "https"
  std::string host;        // lower-case name or address, IPv6 without brackets
  std::uint16_t port = 0;  // explicit, or the scheme's default (80 / 443)
  std::string target;      // path and query, never empty: "/chat?room=1"
  std::string userinfo;    // "user:password" as written (percent-encoded), or empty

  bool secure() const { return scheme == "wss" || scheme == "https"; }
  bool is_ipv6() const { return host.find(':') != std::string::npos; }
  // host[:port] for the Host header: brackets around IPv6, port omitted when
  // it is the scheme's default (RFC 9110 7.2).
  std::string host_header() const;
  // scheme://host_header()target, without userinfo.
  std::string to_string() const;

  // Throws std::invalid_argument naming what is wrong (scheme, host, port,
  // fragment, characters) for a malformed URL or an unsupported scheme. A
  // fragment is an error in ws/wss URLs (RFC 6455 3) and dropped from
  // http/https ones (it is never sent, RFC 9112 3.2).
  static Url parse(std::string_view text);
};

// Decodes %XX escapes (RFC 3986 2.1), e.g. the user and password of a proxy
// URL. A '%' not followed by two hex digits is kept as it is; '+' is not a
// space here (that is form encoding).
std::string percent_decode(std::string_view text);

}  // namespace faye::http
