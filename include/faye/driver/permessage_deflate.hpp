// permessage-deflate (RFC 7692): messages compressed with DEFLATE, marked by
// RSV1 on their first frame. Register it on a server or client:
//
//   driver::ServerOptions options{
//       .extensions = {std::make_shared<driver::PermessageDeflate>()}};
//
// Inflation is bounded: a message may not inflate past the connection's
// max_length (1009), and its output grows in chunks as it is produced, so a
// small "compression bomb" never allocates more than max_length + 1 bytes.
//
// Memory per connection: zlib's state as counted by memory_usage() (zlib
// 1.2.13, 64-bit). The compressor and decompressor are allocated on first use
// and freed at close; between messages a connection also keeps at most 4 KiB
// of buffers per direction.
//
//   | setting                                        | compressor | decompressor |
//   |------------------------------------------------|------------|--------------|
//   | defaults (windows 15, mem_level 8)             |    262 KiB |       39 KiB |
//   | max_window_bits 9, mem_level 1,                |    8.9 KiB |      7.6 KiB |
//   |   request_max_window_bits 9 (peer allowing it) |            |              |
//
// Without context takeover the state is reset, not freed, between messages.
//
// A corrupt compressed stream fails the connection (RFC 7692 8): 1007 for a
// text message, whose data is then not valid text, 1002 for binary.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include "faye/driver/extensions.hpp"
#include "faye/driver/frame.hpp"

namespace faye::driver {

struct DeflateOptions {
  // zlib compression level: 0 (store) to 9 (smallest); -1 is zlib's default (6).
  int level = -1;
  // zlib memLevel, 1 to 9: the compressor's hash tables take 2^(mem_level + 9)
  // bytes; 1 is slow and small, 8 is zlib's default.
  int mem_level = 8;
  // The largest LZ77 window we compress with, as log2 of its size: 8 to 15.
  // Client: offered as client_max_window_bits (RFC 7692 7.1.2.2). Server:
  // used unless the client asks for less with server_max_window_bits, and
  // announced as server_max_window_bits when below 15 (7.1.2.1). zlib cannot
  // compress raw deflate with an 8-bit window, so 8 compresses with 9, whose
  // distances stay within 256 bytes (zlib's MAX_DIST is the window minus 262).
  int max_window_bits = 15;
  // We compress every message from an empty window. Client: offered as
  // client_no_context_takeover (7.1.1.2); server: answered as
  // server_no_context_takeover (7.1.1.1).
  bool no_context_takeover = false;
  // The largest window the peer may compress with (8 to 15): it sizes our
  // decompressor. Client: offered as server_max_window_bits when below 15,
  // and the server must honour it. Server: answered as
  // client_max_window_bits, but only when the client offered that parameter.
  int request_max_window_bits = 15;
  // Ask the peer to compress every message from an empty window. Client:
  // offered as server_no_context_takeover, which the server must accept.
  // Server: answered as client_no_context_takeover.
  bool request_no_context_takeover = false;
  // Messages sent whole and shorter than this many bytes go out
  // uncompressed (RSV1 clear). 0 compresses everything, as Faye does.
  std::size_t threshold = 0;
};

class PermessageDeflate : public Extension {
 public:
  // Throws std::invalid_argument when an option is out of range.
  explicit PermessageDeflate(DeflateOptions options = {});

  std::string_view name() const override { return "permessage-deflate"; }
  std::uint8_t rsv() const override { return kRsv1; }  // RFC 7692 6
  std::unique_ptr<ClientExtensionSession> create_client_session() override;
  std::unique_ptr<ServerExtensionSession> create_server_session(
      std::span<const ExtensionParams> offers) override;

  const DeflateOptions& options() const { return options_; }

 private:
  DeflateOptions options_;
};

}  // namespace faye::driver
