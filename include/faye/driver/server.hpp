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

// What a server driver reads of its options while it is made (it keeps
// none of it), lent rather than copied: from a ServerOptions, or from a
// caller that holds the same settings in another shape (WebSocket::Options),
// so that accepting a connection copies no list of protocols, headers or
// extensions. Every server driver reads its options this way; each also has
// a constructor taking ServerOptions, for braced and designated initializers.
struct ServerSettings {
  explicit ServerSettings(const ServerOptions& options) noexcept
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
                               const ServerSettings& settings);
// The same with options as a struct of their own (braced and designated
// initializers welcome).
inline std::unique_ptr<Driver> accept(const http::Request& request, Handler& handler,
                                      const ServerOptions& options = {}) {
  return accept(request, handler, ServerSettings(options));
}

}  // namespace faye::driver
