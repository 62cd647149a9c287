// An HTTP response head (and body) as the application returns it.
#pragma once

#include <string>
#include <string_view>

#include "faye/http/headers.hpp"

namespace faye::http {

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // Returned by an application that has taken the connection over (a
  // WebSocket or an EventSource): the server writes nothing more on it.
  static Response hijacked() {
    Response response;
    response.status = -1;
    return response;
  }
  bool is_hijacked() const { return status == -1; }

  // The status line and the head, ending with the blank line. Adds
  // Content-Length for the body unless a length or chunking is already set
  // or the status forbids a body (1xx, 204, 304).
  std::string serialize_head() const;
  std::string serialize() const { return serialize_head() + body; }
};

std::string_view reason_phrase(int status);

}  // namespace faye::http
