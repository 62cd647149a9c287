#include "faye/driver/extensions.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "driver_pair.hpp"
#include "faye/driver/client.hpp"
#include "faye/driver/handshake.hpp"
#include "faye/driver/hybi.hpp"
#include "test_peer.hpp"

namespace faye::driver {
namespace {

using test::DriverPair;
using test::frame;

// A toy per-message extension: outgoing messages get `tag` appended (to the
// last frame) and the
// extension's RSV bits on their first frame; incoming messages with those
// bits must end with the tag, which is removed.
struct TagExtension : Extension {
  std::string extension_name;
  std::uint8_t bits;
  char tag;
  bool accept_offers = true;      // server side
  bool accept_response = true;    // client side
  ExtensionParams offer;          // client side
  std::vector<ExtensionParams> offers_seen;
  std::vector<ExtensionParams> responses_seen;

  TagExtension(std::string name, std::uint8_t rsv, char tag)
      : extension_name(std::move(name)), bits(rsv), tag(tag) {}

  template <typename Base>
  struct Session : Base {
    TagExtension& ext;
    explicit Session(TagExtension& ext) : ext(ext) {}

    ExtensionStatus process_outgoing(ExtensionMessage& message, std::string& out) override {
      out.assign(as_text(message.data));
      if (message.fin) out.push_back(ext.tag);
      message.data = as_bytes(out);
      if (message.first) message.rsv |= ext.bits;
      return {};
    }
    ExtensionStatus process_incoming(ExtensionMessage& message, std::string& out) override {
      if (!(message.rsv & ext.bits)) return {};
      message.rsv &= static_cast<std::uint8_t>(~ext.bits);
      std::string_view data = as_text(message.data);
      if (data.empty() || data.back() != ext.tag) {
        return ExtensionStatus::failure(Error::extension_error, close_code::extension_error,
                                        ext.extension_name + ": missing tag");
      }
      out.assign(data.substr(0, data.size() - 1));
      message.data = as_bytes(out);
      return {};
    }
  };
  struct ClientSession : Session<ClientExtensionSession> {
    using Session::Session;
    std::vector<ExtensionParams> generate_offer() override { return {ext.offer}; }
    bool activate(const ExtensionParams& response) override {
      ext.responses_seen.push_back(response);
      return ext.accept_response;
    }
  };
  struct ServerSession : Session<ServerExtensionSession> {
    using Session::Session;
    ExtensionParams generate_response() override { return {{"accepted", std::nullopt}}; }
  };

  std::string_view name() const override { return extension_name; }
  std::uint8_t rsv() const override { return bits; }
  std::unique_ptr<ClientExtensionSession> create_client_session() override {
    return std::make_unique<ClientSession>(*this);
  }
  std::unique_ptr<ServerExtensionSession> create_server_session(
      std::span<const ExtensionParams> offers) override {
    offers_seen.assign(offers.begin(), offers.end());
    if (!accept_offers) return nullptr;
    return std::make_unique<ServerSession>(*this);
  }
};

std::shared_ptr<TagExtension> tag(std::string name, std::uint8_t rsv, char c) {
  return std::make_shared<TagExtension>(std::move(name), rsv, c);
}

// ---- Server-side negotiation -----------------------------------------------

TEST(Extensions, ServerAnswersInRegistrationOrderAndSkipsTakenRsvBits) {
  auto a = tag("x-a", kRsv1, 'a');
  auto b = tag("x-b", kRsv1, 'b');  // wants RSV1 too: loses to x-a
  auto c = tag("x-c", kRsv2, 'c');
  Extensions extensions;
  std::string response, error;
  ASSERT_TRUE(extensions.generate_response({a, b, c}, "x-c, x-b, x-unknown, x-a; p=1", response,
                                           error));
  EXPECT_EQ(response, "x-a; accepted, x-c; accepted");
  EXPECT_EQ(extensions.rsv(), kRsv1 | kRsv2);
  EXPECT_TRUE(b->offers_seen.empty());
  EXPECT_EQ(a->offers_seen, (std::vector<ExtensionParams>{{{"p", "1"}}}));
}

TEST(Extensions, ServerGivesTheBitsOfADeclinedExtensionToTheNext) {
  auto a = tag("x-a", kRsv1, 'a');
  a->accept_offers = false;
  auto b = tag("x-b", kRsv1, 'b');
  Extensions extensions;
  std::string response, error;
  ASSERT_TRUE(extensions.generate_response({a, b}, "x-a, x-b", response, error));
  EXPECT_EQ(response, "x-b; accepted");
  EXPECT_EQ(extensions.rsv(), kRsv1);
}

TEST(Extensions, ServerPassesEveryOfferOfAnExtensionInOrder) {
  auto a = tag("x-a", kRsv1, 'a');
  Extensions extensions;
  std::string response, error;
  ASSERT_TRUE(extensions.generate_response({a}, "x-a; v=1, x-b, x-a; v=2", response, error));
  EXPECT_EQ(a->offers_seen,
            (std::vector<ExtensionParams>{{{"v", "1"}}, {{"v", "2"}}}));
}

TEST(Extensions, ServerWithNothingInCommonAcceptsNothing) {
  Extensions extensions;
  std::string response, error;
  ASSERT_TRUE(extensions.generate_response({tag("x-a", kRsv1, 'a')}, "x-z", response, error));
  EXPECT_EQ(response, "");
  EXPECT_FALSE(extensions.active());
  EXPECT_EQ(extensions.rsv(), 0);
}

TEST(Extensions, ServerRefusesAMalformedOffer) {
  Extensions extensions;
  std::string response, error;
  EXPECT_FALSE(extensions.generate_response({tag("x-a", kRsv1, 'a')}, "x-a; p=\"a b\"", response,
                                            error));
  EXPECT_NE(error.find("malformed"), std::string::npos);
}

TEST(Extensions, RefusesARegistryWithDuplicateOrInvalidNames) {
  Extensions extensions;
  std::string response, error;
  EXPECT_THROW(extensions.generate_offer({tag("x-a", kRsv1, 'a'), tag("x-a", kRsv2, 'b')}),
               std::invalid_argument);
  EXPECT_THROW(extensions.generate_response({tag("x a", kRsv1, 'a')}, "x", response, error),
               std::invalid_argument);
  EXPECT_THROW(extensions.generate_offer({tag("x-a", 0x01, 'a')}), std::invalid_argument);
}

// ---- Client-side negotiation -----------------------------------------------

TEST(Extensions, ClientOffersInRegistrationOrder) {
  auto a = tag("x-a", kRsv1, 'a');
  a->offer = {{"p", "1"}, {"q", std::nullopt}};
  Extensions extensions;
  EXPECT_EQ(extensions.generate_offer({a, tag("x-b", kRsv2, 'b')}), "x-a; p=1; q, x-b");
}

TEST(Extensions, ClientActivatesInTheOrderOfTheResponse) {
  auto a = tag("x-a", kRsv1, 'a');
  auto b = tag("x-b", kRsv2, 'b');
  Extensions extensions;
  extensions.generate_offer({a, b});
  std::string error;
  ASSERT_TRUE(extensions.activate("x-b; k=v, x-a", error)) << error;
  EXPECT_EQ(b->responses_seen, (std::vector<ExtensionParams>{{{"k", "v"}}}));
  EXPECT_EQ(extensions.rsv(), kRsv1 | kRsv2);

  // Outgoing in activation order (b, then a); incoming in reverse.
  ExtensionMessage out{.data = as_bytes("m")};
  ASSERT_TRUE(extensions.process_outgoing(out).ok());
  EXPECT_EQ(as_text(out.data), "mba");
  EXPECT_EQ(out.rsv, kRsv1 | kRsv2);
  std::string wire(as_text(out.data));
  extensions.release_outgoing();
  ExtensionMessage in{.rsv = kRsv1 | kRsv2, .data = as_bytes(wire)};
  ASSERT_TRUE(extensions.process_incoming(in).ok());
  EXPECT_EQ(as_text(in.data), "m");
  EXPECT_EQ(in.rsv, 0);
}

TEST(Extensions, IncomingFailureStopsThePipeline) {
  auto a = tag("x-a", kRsv1, 'a');
  Extensions extensions;
  extensions.generate_offer({a});
  std::string error;
  ASSERT_TRUE(extensions.activate("x-a", error));
  ExtensionMessage in{.rsv = kRsv1, .data = as_bytes("no tag")};
  ExtensionStatus status = extensions.process_incoming(in);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.close_code, 1010);
}

TEST(Extensions, ClientRefusesBadResponses) {
  auto expect_refused = [](std::string_view response, std::string_view why,
                           bool accept_params = true) {
    auto a = tag("x-a", kRsv1, 'a');
    a->accept_response = accept_params;
    auto b = tag("x-b", kRsv1, 'b');
    Extensions extensions;
    extensions.generate_offer({a, b});
    std::string error;
    EXPECT_FALSE(extensions.activate(response, error)) << response;
    EXPECT_NE(error.find(why), std::string::npos) << error;
  };
  expect_refused("x-c", "not offered");
  expect_refused("x-a, x-a", "twice");
  expect_refused("x-a, x-b", "RSV");  // both want RSV1
  expect_refused("x-a; p=1", "parameters", false);
  expect_refused("x-a;", "malformed");
}

// ---- Through the drivers ---------------------------------------------------

TEST(Extensions, DriversNegotiateAndTransformMessages) {
  auto a = tag("x-a", kRsv2, 'a');
  auto b = tag("x-b", kRsv3, 'b');
  DriverPair pair({.extensions = {a, b}}, {.extensions = {b, a}});
  ASSERT_TRUE(pair.open());
  EXPECT_EQ(pair.request.headers.get("Sec-WebSocket-Extensions"), "x-a, x-b");
  EXPECT_EQ(pair.server->extensions(), "x-b; accepted, x-a; accepted");
  EXPECT_EQ(pair.client->extensions(), "x-b; accepted, x-a; accepted");

  ASSERT_TRUE(pair.client->text("hello"));
  std::string wire = pair.client_events.written;
  auto frames = test::split_frames(wire);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].first_byte, kFin | kRsv2 | kRsv3 | 0x1);
  EXPECT_EQ(frames[0].payload, "helloba");
  pair.to_server();
  EXPECT_EQ(pair.server_events.events, (std::vector<std::string>{"open", "text:hello"}));

  // Fragments: the RSV bits on the first frame only; control frames untouched.
  ASSERT_TRUE(pair.server->frame(Opcode::binary, as_bytes("ab"), false));
  ASSERT_TRUE(pair.server->ping(as_bytes("p")));
  ASSERT_TRUE(pair.server->frame(Opcode::continuation, as_bytes("cd"), true));
  frames = test::split_frames(pair.server_events.written);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].first_byte, kRsv2 | kRsv3 | 0x2);
  EXPECT_EQ(frames[1].first_byte, kFin | 0x9);
  EXPECT_EQ(frames[1].payload, "p");
  EXPECT_EQ(frames[2].first_byte, kFin | 0x0);
  pair.to_client();
  EXPECT_EQ(pair.client_events.messages, (std::vector<std::string>{"abcd"}));
}

TEST(Extensions, ServerIgnoresTheHeaderWithoutRegisteredExtensions) {
  http::Request request = test::hybi_request();
  request.headers.add("Sec-WebSocket-Extensions", "x-a; ;;");
  test::Recorder handler;
  Hybi server(request, handler);
  server.start();
  EXPECT_EQ(server.ready_state(), ReadyState::open);
  EXPECT_EQ(handler.written.find("Sec-WebSocket-Extensions"), std::string::npos);
  EXPECT_EQ(server.extensions(), "");
}

TEST(Extensions, ServerAnswersAMalformedHeaderWith400) {
  http::Request request = test::hybi_request();
  request.headers.add("Sec-WebSocket-Extensions", "x-a; p=\"unterminated");
  test::Recorder handler;
  Hybi server(request, handler, {.extensions = {tag("x-a", kRsv1, 'a')}});
  server.start();
  EXPECT_TRUE(handler.written.starts_with("HTTP/1.1 400 Bad Request\r\n")) << handler.written;
  EXPECT_EQ(handler.error, Error::bad_request);
  EXPECT_EQ(server.ready_state(), ReadyState::closed);
}

TEST(Extensions, ServerThatDeclinesSendsNoHeader) {
  auto a = tag("x-a", kRsv1, 'a');
  a->accept_offers = false;
  DriverPair pair({.extensions = {tag("x-a", kRsv1, 'a')}}, {.extensions = {a}});
  ASSERT_TRUE(pair.open());
  EXPECT_EQ(pair.server->extensions(), "");
  EXPECT_EQ(pair.client->extensions(), "");
  // Nothing negotiated: RSV1 is a protocol error again, and messages go out as they are.
  ASSERT_TRUE(pair.client->text("plain"));
  pair.to_server();
  EXPECT_EQ(pair.server_events.messages, (std::vector<std::string>{"plain"}));
  pair.server->parse(frame(kFin | kRsv1 | 0x1, "x"));
  EXPECT_EQ(pair.server_events.close_code, 1002);
}

struct ClientHandshake : ::testing::Test {
  test::Recorder handler;
  std::unique_ptr<Client> client;
  std::string key;

  void connect(ClientOptions options) {
    client = std::make_unique<Client>(http::Url::parse("ws://example.com/"), handler,
                                      std::move(options));
    client->start();
    http::RequestParser parser;
    std::string head = handler.take_written();
    parser.parse(head);
    key = std::string(parser.request().headers.get("Sec-WebSocket-Key").value_or(""));
  }
  void respond(std::string extensions) {
    client->parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
                  "Upgrade\r\nSec-WebSocket-Accept: " + accept_key(key) +
                  "\r\nSec-WebSocket-Extensions: " + extensions + "\r\n\r\n");
  }
  void expect_failure() {
    EXPECT_EQ(handler.error, Error::bad_extension);
    EXPECT_EQ(handler.close_code, 1002);
    EXPECT_EQ(handler.events.size(), 2u);  // error and close, never open
    EXPECT_EQ(client->ready_state(), ReadyState::closed);
  }
};

TEST_F(ClientHandshake, FailsOnAMalformedResponseHeader) {
  connect({.extensions = {tag("x-a", kRsv1, 'a')}});
  respond("x-a; =");
  expect_failure();
}

TEST_F(ClientHandshake, FailsOnAnExtensionItDidNotOffer) {
  connect({.extensions = {tag("x-a", kRsv1, 'a')}});
  respond("x-b");
  expect_failure();
  EXPECT_NE(handler.events[0].find("x-b"), std::string::npos);
}

TEST_F(ClientHandshake, FailsOnParametersTheSessionRefuses) {
  auto a = tag("x-a", kRsv1, 'a');
  a->accept_response = false;
  connect({.extensions = {a}});
  respond("x-a; bogus");
  expect_failure();
}

TEST_F(ClientHandshake, OpensWithAnEmptyHeader) {
  connect({.extensions = {tag("x-a", kRsv1, 'a')}});
  respond("");
  EXPECT_EQ(client->ready_state(), ReadyState::open);
  EXPECT_EQ(client->extensions(), "");
}

// ---- RSV bits against what was negotiated ------------------------------------

struct RsvBits : ::testing::Test {
  test::Recorder handler;
  std::shared_ptr<TagExtension> extension;  // its sessions refer to it
  std::unique_ptr<Hybi> server;

  void negotiate(std::uint8_t rsv) {
    handler = {};
    http::Request request = test::hybi_request();
    request.headers.add("Sec-WebSocket-Extensions", "x-a");
    server.reset();
    extension = tag("x-a", rsv, 'a');
    server = std::make_unique<Hybi>(request, handler, ServerOptions{.extensions = {extension}});
    server->start();
    ASSERT_EQ(server->extensions(), "x-a; accepted");
  }
  void expect_protocol_error(const std::string& bytes) {
    server->parse(bytes);
    EXPECT_EQ(handler.error, Error::protocol_error);
    EXPECT_EQ(handler.close_code, 1002);
    EXPECT_EQ(server->ready_state(), ReadyState::closed);
  }
};

TEST_F(RsvBits, AcceptsTheNegotiatedBitOnAFirstFrame) {
  negotiate(kRsv2);
  server->parse(frame(kFin | kRsv2 | 0x1, "hia"));
  server->parse(frame(kRsv2 | 0x2, "x") + frame(0x00, "y") + frame(kFin, "a"));
  EXPECT_EQ(handler.messages, (std::vector<std::string>{"hi", "xy"}));
}

TEST_F(RsvBits, RefusesOtherBits) {
  negotiate(kRsv2);
  expect_protocol_error(frame(kFin | kRsv3 | 0x1, "hia"));
  negotiate(kRsv2);
  expect_protocol_error(frame(kFin | kRsv1 | 0x1, "hia"));
}

TEST_F(RsvBits, RefusesTheBitOnAContinuationFrame) {
  negotiate(kRsv2);
  expect_protocol_error(frame(kRsv2 | 0x1, "x") + frame(kFin | kRsv2, "a"));
}

TEST_F(RsvBits, RefusesTheBitOnControlFrames) {
  for (std::uint8_t opcode : {0x8, 0x9, 0xA}) {
    negotiate(kRsv2);
    expect_protocol_error(frame(kFin | kRsv2 | opcode, ""));
  }
}

TEST_F(RsvBits, RefusesEveryBitWithoutNegotiation) {
  for (std::uint8_t rsv : {kRsv1, kRsv2, kRsv3}) {
    handler = {};
    server = std::make_unique<Hybi>(test::hybi_request(), handler);
    server->start();
    expect_protocol_error(frame(kFin | rsv | 0x1, "x"));
  }
}

}  // namespace
}  // namespace faye::driver
