// net::to_string(endpoint): how connections name their peers (the HTTP
// request's remote_address, logs).
#include <gtest/gtest.h>

#include "faye/net/stream.hpp"

namespace faye::net {
namespace {

asio::ip::tcp::endpoint endpoint(const char* address, unsigned short port) {
  return {asio::ip::make_address(address), port};
}

TEST(NetEndpointText, WritesIPv4AsADottedQuadAndPort) {
  EXPECT_EQ(to_string(endpoint("127.0.0.1", 80)), "127.0.0.1:80");
  EXPECT_EQ(to_string(endpoint("0.0.0.0", 0)), "0.0.0.0:0");
  EXPECT_EQ(to_string(endpoint("255.255.255.255", 65535)), "255.255.255.255:65535");
  EXPECT_EQ(to_string(endpoint("10.200.3.45", 9292)), "10.200.3.45:9292");
}

TEST(NetEndpointText, BracketsIPv6) {
  EXPECT_EQ(to_string(endpoint("::1", 443)), "[::1]:443");
  EXPECT_EQ(to_string(endpoint("fe80::1:2", 65535)), "[fe80::1:2]:65535");
  EXPECT_EQ(to_string(endpoint("::ffff:10.0.0.1", 8080)), "[::ffff:10.0.0.1]:8080");
}

}  // namespace
}  // namespace faye::net
