#include "target.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace faye::load {
namespace {

bool is_loopback_literal(const std::string& host) {
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool is_loopback_address(const sockaddr* address) {
  if (address->sa_family == AF_INET) {
    return (ntohl(reinterpret_cast<const sockaddr_in*>(address)->sin_addr.s_addr) >> 24) == 127;
  }
  return address->sa_family == AF_INET6 &&
         IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr);
}

}  // namespace

Target resolve_target(const std::string& url, const std::vector<std::string>& allow_hosts) {
  Target target;
  target.url = url;
  std::string rest;
  if (url.rfind("ws://", 0) == 0) {
    rest = url.substr(5);
  } else if (url.rfind("wss://", 0) == 0) {
    target.secure = true;
    rest = url.substr(6);
  } else {
    throw std::invalid_argument("the URL must start with ws:// or wss://: " + url);
  }
  const auto path_start = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_start);
  target.path = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (target.path[0] == '?') target.path.insert(0, "/");
  if (authority.find('@') != std::string::npos) {
    throw std::invalid_argument("credentials in the URL are not supported: " + url);
  }

  std::string port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string::npos) throw std::invalid_argument("unclosed '[' in " + url);
    target.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw std::invalid_argument("bad authority in " + url);
      port_text = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.find(':');
    target.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (target.host.empty()) throw std::invalid_argument("no host in " + url);
  const int default_port = target.secure ? 443 : 80;
  int port = default_port;
  if (!port_text.empty()) {
    if (!std::all_of(port_text.begin(), port_text.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        port_text.size() > 5 || (port = std::stoi(port_text)) < 1 || port > 65535) {
      throw std::invalid_argument("bad port in " + url);
    }
  }
  target.port = static_cast<std::uint16_t>(port);
  const bool ipv6 = target.host.find(':') != std::string::npos;
  target.host_header = ipv6 ? '[' + target.host + ']' : target.host;
  if (port != default_port) target.host_header += ':' + std::to_string(port);

  std::string lower = target.host;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const bool allowed = std::find(allow_hosts.begin(), allow_hosts.end(), target.host) !=
                       allow_hosts.end();
  const bool loopback_name = lower == "localhost" || is_loopback_literal(target.host);
  if (!allowed && !loopback_name) {
    throw std::invalid_argument("refusing to load " + target.host +
                                ": not a loopback address (name it with --allow-host to allow it)");
  }

  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int status = ::getaddrinfo(target.host.c_str(), std::to_string(port).c_str(), &hints, &found);
      status != 0) {
    throw std::invalid_argument("cannot resolve " + target.host + ": " + ::gai_strerror(status));
  }
  // "localhost" could be mapped anywhere by /etc/hosts: only a loopback
  // answer is trusted without --allow-host.
  const addrinfo* chosen = nullptr;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    if (allowed || is_loopback_address(entry->ai_addr)) {
      chosen = entry;
      break;
    }
  }
  if (chosen == nullptr) {
    ::freeaddrinfo(found);
    throw std::invalid_argument(target.host + " does not resolve to a loopback address");
  }
  std::memcpy(&target.address, chosen->ai_addr, chosen->ai_addrlen);
  target.address_length = chosen->ai_addrlen;
  ::freeaddrinfo(found);
  return target;
}

}  // namespace faye::load
