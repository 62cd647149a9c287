#include "faye/http/headers.hpp"

#include <gtest/gtest.h>

namespace faye::http {
namespace {

TEST(Headers, LooksUpNamesCaseInsensitively) {
  Headers headers{{"Content-Type", "text/plain"}};
  EXPECT_EQ(headers.get("content-type"), "text/plain");
  EXPECT_FALSE(headers.get("Content-Length"));
}

TEST(Headers, FindsTokensInListsAcrossRepeatedFields) {
  Headers headers{{"Connection", "keep-alive"}, {"connection", " Upgrade ,close"}};
  EXPECT_TRUE(headers.has_token("Connection", "upgrade"));
  EXPECT_TRUE(headers.has_token("Connection", "CLOSE"));
  EXPECT_FALSE(headers.has_token("Connection", "upgrad"));
}

// Elements are trimmed of spaces and tabs, empty ones skipped, and a token
// matches a whole element only.
TEST(Headers, FindsTokensOnlyAsWholeTrimmedElements) {
  Headers headers{{"Upgrade", "\t, ,websocket\t , h2c"}, {"Connection", "upgrade-ish, keep-alive"}};
  EXPECT_TRUE(headers.has_token("Upgrade", "WebSocket"));
  EXPECT_TRUE(headers.has_token("Upgrade", "h2c"));
  EXPECT_FALSE(headers.has_token("Upgrade", "web"));
  EXPECT_FALSE(headers.has_token("Upgrade", "socket"));
  EXPECT_FALSE(headers.has_token("Upgrade", ""));
  EXPECT_FALSE(headers.has_token("Connection", "upgrade"));
  EXPECT_TRUE(headers.has_token("Connection", "Keep-Alive"));
  const Headers empty{{"Connection", ""}};
  EXPECT_FALSE(empty.has_token("Connection", "close"));
  const Headers only_separators{{"Connection", " , ,"}};
  EXPECT_FALSE(only_separators.has_token("Connection", "close"));
}

TEST(Headers, JoinsRepeatedFields) {
  Headers headers{{"A", "1"}, {"a", "2"}};
  EXPECT_EQ(headers.get_all("A"), "1, 2");
  headers.set("a", "3");
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_EQ(headers.get("A"), "3");
}

TEST(Headers, SplitsListsSkippingEmptyElements) {
  auto parts = split_list(" a, ,b ,, c");
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[2], "c");
}

TEST(Headers, KeepsArrivalOrderAndRemovesEveryInstance) {
  Headers headers;
  headers.add("B", "1");
  headers.add("A", "2");
  headers.add("b", "3");
  EXPECT_EQ(headers.begin()->first, "B");
  EXPECT_EQ(headers.get("b"), "1");
  headers.remove("B");
  EXPECT_EQ(headers.size(), 1u);
  EXPECT_FALSE(headers.contains("b"));
  EXPECT_FALSE(headers.get_all("b"));
}

TEST(Headers, ComparesAsciiCaseInsensitivelyOnly) {
  EXPECT_TRUE(iequals("Sec-WebSocket-Key", "sec-websocket-key"));
  EXPECT_FALSE(iequals("key", "keys"));
  EXPECT_FALSE(iequals("\xc3\x89", "\xc3\xa9"));
  EXPECT_TRUE(iequals("", ""));
  // Other characters whose codes differ in the case bit (0x20) alone.
  for (int c = 0; c < 0x60; ++c) {
    const bool letter = c >= 'A' && c <= 'Z';
    EXPECT_EQ(
        iequals(std::string(1, static_cast<char>(c)), std::string(1, static_cast<char>(c | 0x20))),
        letter || (c | 0x20) == c)
        << c;
  }
  EXPECT_TRUE(iequals("AZaz", "azAZ"));
}

TEST(Headers, SplitsAnEmptyListIntoNothing) {
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list(" , ,").empty());
}

}  // namespace
}  // namespace faye::http
