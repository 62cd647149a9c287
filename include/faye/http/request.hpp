// An HTTP request as the application sees it (the Rack env of this library).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "faye/http/headers.hpp"

namespace faye::net {
class Connection;
}

namespace faye::http {

// A member added here must also be cleared in RequestParser's reset()
// (src/http/parser.cpp), which clears them one by one.
struct Request {
  std::string method;   // "GET"
  std::string target;   // request-target as sent: "/chat?room=1"
  int version_major = 1;
  int version_minor = 1;
  Headers headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1:53412" or "[::1]:53412"
  bool secure = false;         // arrived over TLS

  // The path part of the target ("/chat") and the query without '?' ("room=1").
  std::string_view path() const;
  std::string_view query() const;
  std::string_view host() const { return headers.get("Host").value_or(""); }

  // Set by the server that parsed the request: the connection it arrived on,
  // which WebSocket::accept (or EventSource) takes over. For an upgrade
  // request, `body` holds the bytes that followed the head (the draft-76
  // key3, early frames): the new protocol's first bytes.
  std::shared_ptr<net::Connection> connection;
};

}  // namespace faye::http
