#include "faye/driver/server.hpp"

#include "faye/driver/draft75.hpp"
#include "faye/driver/draft76.hpp"
#include "faye/driver/handshake.hpp"
#include "faye/driver/hybi.hpp"

namespace faye::driver {

// As websocket-driver's Driver.rack: the request's headers alone say which
// protocol it speaks.
std::unique_ptr<Driver> accept(const http::Request& request, Handler& handler,
                               const ServerSettings& settings) {
  switch (detect_protocol(request)) {
    case Protocol::draft75:
    case Protocol::draft76: {
      // Rare enough that the drafts take their options as they are.
      const ServerOptions options{.protocols = settings.protocols,
                                  .headers = settings.headers,
                                  .max_length = settings.max_length,
                                  .extensions = settings.extensions};
      if (detect_protocol(request) == Protocol::draft75) {
        return std::make_unique<Draft75>(request, handler, options);
      }
      return std::make_unique<Draft76>(request, handler, options);
    }
    case Protocol::hybi:
      break;
  }
  return std::make_unique<Hybi>(request, handler, settings);
}

std::unique_ptr<Driver> accept(const http::Request& request, Handler& handler,
                               const ServerOptions& options) {
  return accept(request, handler, ServerSettings(options));
}

}  // namespace faye::driver
