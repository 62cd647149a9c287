// Server-side entry point: pick the protocol class for a request.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "faye/driver/driver.hpp"
#include "faye/driver/extensions.hpp"
#include "faye/http/headers.hpp"
#include "faye/http/request.hpp"

namespace faye::driver {

struct ServerOptions {
  // Subprotocols the server speaks, in no particular order: the client's
  // preference decides (RFC 6455 4.2.2).
  std::vector<std::string> protocols{};
  // Extra headers for the handshake response.
  http::Headers headers{};
  // Largest message accepted, in bytes; larger ones close with 1009.
  std::size_t max_length = default_max_length;
  // Extensions the server accepts (hybi only), in order of preference: the
  // first to accept an offer takes its RSV bits; e.g. PermessageDeflate.
  ExtensionList extensions{};
};

// ServerOptions lent rather than copied: what a server driver reads while
// it is made (it keeps none of it). For a caller that holds the same
// settings in another shape (WebSocket::Options), so that accepting a
// connection copies no list of protocols, headers or extensions.
struct ServerSettings {
  ServerSettings(const ServerOptions& options) noexcept  // NOLINT: implicit on purpose
      : protocols(options.protocols),
        headers(options.headers),
        max_length(options.max_length),
        extensions(options.extensions) {}
  ServerSettings(const std::vector<std::string>& protocols, const http::Headers& headers,
                 std::size_t max_length, const ExtensionList& extensions) noexcept
      : protocols(protocols), headers(headers), max_length(max_length), extensions(extensions) {}

  const std::vector<std::string>& protocols;
  const http::Headers& headers;
  std::size_t max_length;
  const ExtensionList& extensions;
};

// A driver for the protocol the request speaks (draft-75, draft-76 or
// hybi-07..13). An invalid request still gets a driver: its start() writes
// the HTTP rejection (400, or 426 for an unknown version), reports the error
// and closes.
std::unique_ptr<Driver> accept(const http::Request& request, Handler& handler,
                               const ServerOptions& options = {});
std::unique_ptr<Driver> accept(const http::Request& request, Handler& handler,
                               const ServerSettings& settings);

}  // namespace faye::driver
