// ws://, wss://, http:// and https:// URLs (RFC 3986 subset used by RFC 6455 3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace faye::http {

struct Url {
  std::string scheme;    // lower-case: "ws", "wss", "http", "https"
  std::string host;      // lower-case name or address, IPv6 without brackets
  std::uint16_t port = 0;  // explicit, or the scheme's default (80 / 443)
  std::string target;    // path and query, never empty: "/chat?room=1"
  std::string userinfo;  // "user:password" as written (percent-encoded), or empty

  bool secure() const { return scheme == "wss" || scheme == "https"; }
  bool is_ipv6() const { return host.find(':') != std::string::npos; }
  // host[:port] for the Host header: brackets around IPv6, port omitted when
  // it is the scheme's default.
  std::string host_header() const;
  // scheme://host_header()target, without userinfo.
  std::string to_string() const;

  // Throws std::invalid_argument naming what is wrong (scheme, host, port,
  // fragment, characters) for a malformed URL or an unsupported scheme.
  static Url parse(std::string_view text);
};

}  // namespace faye::http
