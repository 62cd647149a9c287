#include "faye/driver/handshake.hpp"

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <set>

#include "test_peer.hpp"

namespace faye::driver {
namespace {

TEST(Handshake, ComputesTheRfcAcceptKey) {
  // RFC 6455 1.3
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(Handshake, ValidatesKeysAsBase64OfSixteenBytes) {
  EXPECT_TRUE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_TRUE(is_valid_key(generate_key()));
  EXPECT_FALSE(is_valid_key(""));
  EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ="));     // 15 bytes' worth
  EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZQ==="));
  EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZ*=="));    // not base64
  EXPECT_FALSE(is_valid_key("dGhlIHNhbXBsZSBub25jZR=="));    // non-canonical trailing bits
  EXPECT_FALSE(is_valid_key("aGVsbG8gd29ybGQgaGVsbG8h"));    // 18 bytes, no padding
}

TEST(Handshake, GeneratesDistinctKeys) {
  std::set<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.insert(generate_key());
  EXPECT_EQ(keys.size(), 100u);
}

TEST(Handshake, RecognisesUpgradeRequests) {
  http::Request request = test::hybi_request();
  EXPECT_TRUE(is_websocket(request));
  request.headers.set("Connection", "keep-alive, UPGRADE");
  request.headers.set("Upgrade", "WebSocket");
  EXPECT_TRUE(is_websocket(request));
  request.headers.set("Upgrade", "h2c");
  EXPECT_FALSE(is_websocket(request));
  request = test::hybi_request();
  request.method = "POST";
  EXPECT_FALSE(is_websocket(request));
  request = test::hybi_request();
  request.headers.remove("Connection");
  EXPECT_FALSE(is_websocket(request));
}

TEST(Handshake, DetectsTheProtocolFromHeadersAlone) {
  http::Request request = test::hybi_request("8");
  EXPECT_EQ(detect_protocol(request), Protocol::hybi);
  request.headers.set("Sec-WebSocket-Version", "99");
  EXPECT_EQ(detect_protocol(request), Protocol::hybi);

  http::Request draft76;
  draft76.headers = {{"Sec-WebSocket-Key1", "1 2"}, {"Sec-WebSocket-Key2", "3 4"}};
  EXPECT_EQ(detect_protocol(draft76), Protocol::draft76);

  http::Request draft75;
  draft75.headers = {{"Upgrade", "WebSocket"}, {"Connection", "Upgrade"}};
  EXPECT_EQ(detect_protocol(draft75), Protocol::draft75);
}

TEST(Handshake, SelectsTheClientsFirstSupportedProtocol) {
  std::vector<std::string> supported{"chat", "superchat"};
  EXPECT_EQ(select_protocol("superchat, chat", supported), "superchat");
  EXPECT_EQ(select_protocol("soap,chat", supported), "chat");
  EXPECT_EQ(select_protocol("soap, wamp", supported), std::nullopt);
  EXPECT_EQ(select_protocol("", supported), std::nullopt);
  EXPECT_EQ(select_protocol("Chat", supported), std::nullopt);  // tokens are case-sensitive
}

TEST(Handshake, Base64MatchesRfc4648AndOpenSsl) {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "Zg=="},
                                                                   {"fo", "Zm8="},
                                                                   {"foo", "Zm9v"},
                                                                   {"foob", "Zm9vYg=="},
                                                                   {"fooba", "Zm9vYmE="},
                                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) EXPECT_EQ(base64_encode(as_bytes(plain)), encoded);
  std::string input;
  for (int size = 0; size <= 100; ++size) {
    std::string expected(4 * ((input.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(expected.data()),
                                  reinterpret_cast<const unsigned char*>(input.data()),
                                  static_cast<int>(input.size()));
    expected.resize(static_cast<std::size_t>(n));
    ASSERT_EQ(base64_encode(as_bytes(input)), expected) << "length " << size;
    input += static_cast<char>(size * 89 + 7);
  }
}

}  // namespace
}  // namespace faye::driver
