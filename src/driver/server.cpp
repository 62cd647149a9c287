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
      return std::make_unique<Draft75>(request, handler, settings);
    case Protocol::draft76:
      return std::make_unique<Draft76>(request, handler, settings);
    case Protocol::hybi:
      break;
  }
  return std::make_unique<Hybi>(request, handler, settings);
}

}  // namespace faye::driver
