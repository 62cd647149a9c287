// A Client and a server-side Hybi wired back to back in memory: the bytes
// each one writes are fed to the other's parse(), with the handshake done
// through the real request and response bytes.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "faye/driver/client.hpp"
#include "faye/driver/hybi.hpp"
#include "faye/http/parser.hpp"
#include "test_peer.hpp"

namespace faye::driver::test {

struct DriverPair {
  Recorder client_events;  // and client -> server bytes
  Recorder server_events;  // and server -> client bytes
  std::unique_ptr<Client> client;
  std::unique_ptr<Hybi> server;
  http::Request request;

  DriverPair(ClientOptions client_options, ServerOptions server_options) {
    client = std::make_unique<Client>(http::Url::parse("ws://example.com/chat"), client_events,
                                      std::move(client_options));
    client->start();
    http::RequestParser parser;
    std::string head = client_events.take_written();
    EXPECT_EQ(parser.parse(head), head.size());
    EXPECT_TRUE(parser.complete());
    request = parser.request();
    server = std::make_unique<Hybi>(request, server_events, server_options);
    server->start();
    client->parse(server_events.take_written());
  }

  bool open() const {
    return client->ready_state() == ReadyState::open &&
           server->ready_state() == ReadyState::open;
  }
  void to_server() { server->parse(client_events.take_written()); }
  void to_client() { client->parse(server_events.take_written()); }
};

// The payloads of the frames in `wire`, unmasked, with their first bytes.
struct WireFrame {
  std::uint8_t first_byte;
  std::string payload;
};

inline std::vector<WireFrame> split_frames(std::string wire) {
  std::vector<WireFrame> frames;
  std::size_t pos = 0;
  while (pos + 2 <= wire.size()) {
    auto* p = reinterpret_cast<std::uint8_t*>(wire.data() + pos);
    std::size_t head = header_size(p[0], p[1]);
    FrameHeader header;
    EXPECT_TRUE(decode_header(p, header));
    std::string payload = wire.substr(pos + head, header.length);
    if (header.masked) {
      mask_in_place(MutableBytes(reinterpret_cast<std::uint8_t*>(payload.data()), payload.size()),
                    header.mask);
    }
    frames.push_back({p[0], payload});
    pos += head + header.length;
  }
  EXPECT_EQ(pos, wire.size());
  return frames;
}

}  // namespace faye::driver::test
