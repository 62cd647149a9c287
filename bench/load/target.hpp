// The server under load: a ws:// or wss:// URL resolved to one address. A
// load generator is a denial-of-service tool, so only loopback hosts are
// accepted unless the user names the host again with --allow-host.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

namespace faye::load {

struct Target {
  std::string url;
  bool secure = false;      // wss://
  std::string host;         // as written, without IPv6 brackets
  std::uint16_t port = 0;
  std::string host_header;  // Host: value (host, plus the port when not the default)
  std::string path;         // path and query, at least "/"
  sockaddr_storage address{};
  socklen_t address_length = 0;
};

// Parses and resolves `url`. Throws std::invalid_argument with a message for
// people: malformed URL, another scheme, an unresolvable or refused host.
Target resolve_target(const std::string& url, const std::vector<std::string>& allow_hosts);

}  // namespace faye::load
