// RFC 6455 client: sends the opening handshake, checks the server's answer
// (4.1), then speaks the same framing as the server role with masking.
#pragma once

#include <string>
#include <vector>

#include "faye/driver/hybi.hpp"
#include "faye/http/headers.hpp"
#include "faye/http/parser.hpp"
#include "faye/http/url.hpp"

namespace faye::driver {

struct ClientOptions {
  // Subprotocols offered, in order of preference.
  std::vector<std::string> protocols{};
  // Extra request headers (Authorization, Cookie, ...).
  http::Headers headers{};
  // Sent as the Origin header when not empty.
  std::string origin{};
  // Largest message accepted, in bytes; larger ones close with 1009.
  std::size_t max_length = default_max_length;
  // Largest handshake response head accepted.
  std::size_t max_handshake_size = 16 * 1024;
  // Extensions offered, in order; e.g. PermessageDeflate.
  ExtensionList extensions{};
};

class Client : public Hybi {
 public:
  // `url` is a ws:// or wss:// URL; the transport is the caller's business.
  Client(const http::Url& url, Handler& handler, ClientOptions options = {});

  void start() override;
  void parse(MutableBytes data) override;
  using Driver::parse;

  // The server's handshake response, once received.
  const http::ResponseHead& response() const { return response_; }

 private:
  bool check_response();

  http::Url url_{};
  ClientOptions options_;
  std::string key_{};
  http::ResponseParser parser_;
  http::ResponseHead response_;
};

}  // namespace faye::driver
