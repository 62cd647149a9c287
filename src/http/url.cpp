#include "faye/http/url.hpp"

#include <stdexcept>

namespace faye::http {
namespace {

[[noreturn]] void invalid(std::string_view url, std::string_view problem) {
  std::string message = "invalid URL '";
  message.append(url).append("': ").append(problem);
  throw std::invalid_argument(message);
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char to_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return to_lower(c) - 'a' + 10;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower(c);
  return out;
}

// RFC 3986 2.3 and 2.2.
bool is_unreserved(char c) {
  return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool is_sub_delim(char c) {
  return c != '\0' && std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}

// True when every character is unreserved, a sub-delim, one of `extra`, or a
// well-formed %XX escape (RFC 3986 2.1).
bool is_encoded(std::string_view s, std::string_view extra) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
      i += 2;
    } else if (!is_unreserved(c) && !is_sub_delim(c) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_ipv4(std::string_view s) {
  int octets = 0;
  while (true) {
    std::size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    if (part.empty() || part.size() > 3) return false;
    int value = 0;
    for (char c : part) {
      if (!is_digit(c)) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++octets;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return octets == 4;
}

// RFC 4291 2.2 text forms: eight groups of up to four hex digits, at most one
// "::" standing for one or more zero groups, optionally ending in dotted IPv4.
// Zone identifiers (RFC 6874) are not supported.
bool is_ipv6_address(std::string_view s) {
  int groups = 0;
  bool compressed = false;
  if (s.starts_with("::")) {
    compressed = true;
    s.remove_prefix(2);
    if (s.empty()) return true;
  }
  while (true) {
    std::size_t colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    if (colon == std::string_view::npos && part.find('.') != std::string_view::npos) {
      if (!is_ipv4(part)) return false;
      groups += 2;
      break;
    }
    if (part.empty() || part.size() > 4) return false;
    for (char c : part) {
      if (!is_hex(c)) return false;
    }
    ++groups;
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
    if (s.starts_with(':')) {
      if (compressed) return false;
      compressed = true;
      s.remove_prefix(1);
      if (s.empty()) break;
    } else if (s.empty()) {
      return false;
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

std::uint16_t default_port(std::string_view scheme) {
  return (scheme == "wss" || scheme == "https") ? 443 : 80;
}

std::uint16_t parse_port(std::string_view url, std::string_view text, std::string_view scheme) {
  // RFC 3986 3.2.3: an empty port means the scheme's default.
  if (text.empty()) return default_port(scheme);
  unsigned long value = 0;
  for (char c : text) {
    if (!is_digit(c)) invalid(url, "port '" + std::string(text) + "' is not a number");
    value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value > 65535) break;
  }
  if (value == 0 || value > 65535) {
    invalid(url, "port " + std::string(text) + " is out of range 1-65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

Url Url::parse(std::string_view text) {
  Url url;

  // RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
  std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    invalid(text, "missing scheme (expected ws://, wss://, http:// or https://)");
  }
  url.scheme = lower(text.substr(0, scheme_end));
  if (url.scheme != "ws" && url.scheme != "wss" && url.scheme != "http" && url.scheme != "https") {
    invalid(text, "unsupported scheme '" + url.scheme + "' (expected ws, wss, http or https)");
  }
  std::string_view rest = text.substr(scheme_end + 3);

  std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  rest.remove_prefix(authority.size());

  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    if (!is_encoded(userinfo, ":")) invalid(text, "invalid character in userinfo");
    url.userinfo = userinfo;
    authority.remove_prefix(at + 1);
  }

  std::string_view port;
  bool has_port = false;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) invalid(text, "unterminated IPv6 address '['");
    std::string_view address = authority.substr(1, close - 1);
    if (!is_ipv6_address(address))
      invalid(text, "invalid IPv6 address '" + std::string(address) + "'");
    url.host = lower(address);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') invalid(text, "unexpected characters after IPv6 address");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    std::size_t colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      has_port = true;
      if (port.find(':') != std::string_view::npos) {
        invalid(text, "too many ':' in host (IPv6 addresses need brackets)");
      }
    }
    if (host.empty()) invalid(text, "missing host");
    for (char c : host) {
      // Names are LDH labels, punycoded when international (RFC 5890); '_'
      // and '~' are allowed by RFC 3986 and seen in the wild.
      if (!is_unreserved(c)) invalid(text, "invalid character in host");
    }
    url.host = lower(host);
  }
  url.port = has_port ? parse_port(text, port, url.scheme) : default_port(url.scheme);

  if (std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    if (url.scheme == "ws" || url.scheme == "wss") {
      invalid(text, "a WebSocket URL must not have a fragment (RFC 6455 3)");
    }
    if (!is_encoded(rest.substr(hash + 1), ":@/?")) {
      invalid(text, "invalid character in fragment");
    }
    rest = rest.substr(0, hash);
  }
  if (!is_encoded(rest, ":@/?")) invalid(text, "invalid character in path or query");
  // RFC 6455 3: an empty path is "/".
  if (rest.empty() || rest.front() == '?') url.target = "/";
  url.target.append(rest);
  return url;
}

std::string Url::host_header() const {
  std::string out = is_ipv6() ? "[" + host + "]" : host;
  if (port != default_port(scheme)) out.append(":").append(std::to_string(port));
  return out;
}

std::string Url::to_string() const {
  return scheme + "://" + host_header() + target;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && is_hex(text[i + 1]) && is_hex(text[i + 2])) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace faye::http
