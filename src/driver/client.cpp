#include "faye/driver/client.hpp"

#include "faye/driver/handshake.hpp"

namespace faye::driver {

Client::Client(const http::Url& url, Handler& handler, ClientOptions options)
    : Hybi(Role::client, handler, options.max_length),
      url_(url),
      options_(std::move(options)),
      key_(generate_key()),
      parser_({.max_head_bytes = options_.max_handshake_size}) {}

void Client::start() {
  if (state_ != ReadyState::connecting) return;
  std::string request;
  request.reserve(256);
  request.append("GET ").append(url_.target).append(" HTTP/1.1\r\n");
  request.append("Host: ").append(url_.host_header()).append("\r\n");
  request.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  request.append("Sec-WebSocket-Key: ").append(key_).append("\r\n");
  request.append("Sec-WebSocket-Version: 13\r\n");
  if (!options_.origin.empty()) request.append("Origin: ").append(options_.origin).append("\r\n");
  if (!options_.protocols.empty()) {
    request.append("Sec-WebSocket-Protocol: ");
    for (std::size_t i = 0; i < options_.protocols.size(); ++i) {
      if (i) request.append(", ");
      request.append(options_.protocols[i]);
    }
    request.append("\r\n");
  }
  // RFC 6455 9.1: offer the registered extensions; check_response
  // activates those the server accepts.
  if (!options_.extensions.empty()) {
    set_negotiated(std::make_unique<Extensions>());
    std::string offer = negotiated()->generate_offer(options_.extensions);
    if (offer.empty()) {
      set_negotiated(nullptr);
    } else {
      request.append("Sec-WebSocket-Extensions: ").append(offer).append("\r\n");
    }
  }
  // Credentials in the URL become Basic authentication, as browsers do.
  if (!url_.userinfo.empty() && !options_.headers.contains("Authorization")) {
    std::string credentials = http::percent_decode(url_.userinfo);
    request.append("Authorization: Basic ")
        .append(base64_encode(as_bytes(credentials)))
        .append("\r\n");
  }
  for (const auto& [name, value] : options_.headers) {
    request.append(name).append(": ").append(value).append("\r\n");
  }
  request.append("\r\n");
  write(request);
}

void Client::parse(MutableBytes data) {
  if (state_ != ReadyState::connecting) {
    Hybi::parse(data);
    return;
  }
  std::size_t used = parser_.parse(as_text(data));
  if (parser_.failed()) {
    Error error = parser_.error() == http::ParseError::head_too_large ? Error::handshake_too_large
                                                                      : Error::bad_response;
    fail_handshake(error, "invalid handshake response: " + std::string(parser_.error_message()));
    return;
  }
  if (!parser_.complete()) return;
  response_ = parser_.take();
  parser_ = http::ResponseParser();  // free the parser's buffers
  if (!check_response()) return;
  open();
  // Frames may have arrived in the same read as the response head.
  if (used < data.size()) parse_frames(data.subspan(used));
}

// RFC 6455 4.1, "the client MUST validate the server's response".
bool Client::check_response() {
  const http::Headers& headers = response_.headers;
  if (response_.status != 101) {
    fail_handshake(Error::unexpected_status,
                   "unexpected response status " + std::to_string(response_.status) + " " +
                       response_.reason + " (expected 101)");
    return false;
  }
  if (!headers.has_token("Upgrade", "websocket")) {
    fail_handshake(Error::bad_response, "handshake response lacks 'Upgrade: websocket'");
    return false;
  }
  if (!headers.has_token("Connection", "upgrade")) {
    fail_handshake(Error::bad_response, "handshake response lacks 'Connection: Upgrade'");
    return false;
  }
  auto accept = headers.get("Sec-WebSocket-Accept");
  if (!accept || *accept != accept_key(key_)) {
    fail_handshake(Error::bad_accept, "Sec-WebSocket-Accept does not match the key sent");
    return false;
  }
  if (auto chosen = headers.get_all("Sec-WebSocket-Protocol")) {
    bool offered = false;
    for (const std::string& protocol : options_.protocols) offered |= protocol == *chosen;
    if (!offered) {
      fail_handshake(Error::bad_protocol,
                     "server selected subprotocol '" + *chosen + "' which was not offered");
      return false;
    }
    set_protocol(*chosen);
  }
  auto extensions = headers.get_all("Sec-WebSocket-Extensions");
  if (!extensions) {
    set_negotiated(nullptr);  // the server declined every offer
    return true;
  }
  Extensions* const offered = negotiated();
  if (!offered) {
    fail_handshake(Error::bad_extension,
                   "server negotiated extensions that were not offered: " + *extensions);
    return false;
  }
  // RFC 6455 4.1: an extension not offered, or parameters we did not allow
  // (RFC 7692 7), and "the client MUST _Fail the WebSocket Connection_".
  std::string error;
  if (!offered->activate(*extensions, error)) {
    fail_handshake(Error::bad_extension, error);
    return false;
  }
  if (offered->active()) {
    set_extensions(std::move(*extensions));
    allowed_rsv_ = offered->rsv();
  } else {
    set_negotiated(nullptr);
  }
  return true;
}

}  // namespace faye::driver
