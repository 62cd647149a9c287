// The Sec-WebSocket-Extensions grammar: parse any bytes; what parses must
// serialize and parse back to the same list, and must survive negotiation
// on both sides with permessage-deflate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "faye/driver/extension_header.hpp"
#include "faye/driver/extensions.hpp"
#include "faye/driver/permessage_deflate.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace faye::driver;
  std::string_view header(reinterpret_cast<const char*>(data), size);
  ParsedExtensions parsed = parse_extension_header(header);
  if (!parsed) return 0;

  ParsedExtensions again = parse_extension_header(serialize_extension_header(parsed.offers));
  if (!again || again.offers != parsed.offers) std::abort();

  static const ExtensionList registered{
      std::make_shared<PermessageDeflate>(),
      std::make_shared<PermessageDeflate>(DeflateOptions{.max_window_bits = 10,
                                                         .no_context_takeover = true,
                                                         .request_max_window_bits = 9,
                                                         .request_no_context_takeover = true})};
  for (const auto& extension : registered) {
    Extensions server;
    std::string response, error;
    if (!server.generate_response({extension}, header, response, error)) std::abort();
    // The answer is well formed: a client parses it (and judges it).
    if (!response.empty()) {
      Extensions client;
      client.generate_offer({std::make_shared<PermessageDeflate>()});
      if (!parse_extension_header(response)) std::abort();
      client.activate(response, error);
    }
    Extensions client;
    client.generate_offer({extension});
    client.activate(header, error);
  }
  return 0;
}
