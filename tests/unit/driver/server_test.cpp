#include "faye/driver/server.hpp"

#include <gtest/gtest.h>

#include "test_peer.hpp"

namespace faye::driver {
namespace {

http::Request hixie_request() {
  http::Request request;
  request.method = "GET";
  request.target = "/demo";
  request.headers = {{"Host", "example.com"},
                     {"Upgrade", "WebSocket"},
                     {"Connection", "Upgrade"},
                     {"Origin", "http://example.com"}};
  return request;
}

TEST(ServerAccept, ChoosesTheProtocolFromTheRequest) {
  test::Recorder handler;
  EXPECT_EQ(accept(test::hybi_request(), handler)->version(), "hybi-13");
  EXPECT_EQ(accept(test::hybi_request("8"), handler)->version(), "hybi-8");
  EXPECT_EQ(accept(hixie_request(), handler)->version(), "hixie-75");
  http::Request draft76 = hixie_request();
  draft76.headers.add("Sec-WebSocket-Key1", "18x 6]8vM;54 *(5:  {   U1]8  z [  8");
  draft76.headers.add("Sec-WebSocket-Key2", "1_ tx7X d  <  nw  334J702) 7]o}` 0");
  EXPECT_EQ(accept(draft76, handler)->version(), "hixie-76");
}

TEST(ServerAccept, RejectsUnknownVersionsWith426) {
  test::Recorder handler;
  auto driver = accept(test::hybi_request("99"), handler);
  driver->start();
  EXPECT_TRUE(handler.written.starts_with("HTTP/1.1 426 "));
  EXPECT_EQ(driver->ready_state(), ReadyState::closed);
}

}  // namespace
}  // namespace faye::driver
