#include "faye/http/headers.hpp"

#include <stdexcept>
#include <string>
#include <vector>

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
  const Headers single{{"Upgrade", "WebSocket"}};
  EXPECT_TRUE(single.has_token("Upgrade", "websocket"));
  EXPECT_FALSE(single.has_token("Upgrade", "websocke"));
  EXPECT_FALSE(single.has_token("Upgrade", ""));
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

// Fields are views of one storage: copies and moves carry them, a value
// taken from the headers themselves may be added or set again, and fields
// set over and over keep the storage bounded.
TEST(Headers, KeepsFieldsWholeAcrossCopiesSetsAndRemovals) {
  Headers headers{{"Host", "example.com"}, {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  headers.add("X-Copy", *headers.get("Sec-WebSocket-Key"));
  headers.set("X-Host", *headers.get("host"));
  headers.set("Host", *headers.get("X-Host"));
  const Headers copy = headers;
  Headers moved = std::move(headers);
  EXPECT_EQ(copy, moved);
  EXPECT_EQ(copy.get("x-copy"), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(copy.get("host"), "example.com");

  const std::string long_value(300, 'v');
  for (int i = 0; i < 1000; ++i) moved.set("X-Churn", long_value + std::to_string(i));
  EXPECT_EQ(moved.get("X-Churn"), long_value + "999");
  EXPECT_EQ(moved.get("Sec-WebSocket-Key"), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(moved.size(), 5u);
  std::size_t bytes = 0;
  for (const auto& [name, value] : moved) bytes += name.size() + value.size();
  EXPECT_EQ(bytes, std::string_view("HostX-CopyX-HostX-ChurnSec-WebSocket-Key").size() +
                       2 * std::string_view("example.com").size() +
                       2 * std::string_view("dGhlIHNhbXBsZSBub25jZQ==").size() + long_value.size() +
                       3);

  std::vector<Headers::Field> fields(copy.begin(), copy.end());
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields.front().first, "Sec-WebSocket-Key");
  EXPECT_EQ(copy.begin()->second, "dGhlIHNhbXBsZSBub25jZQ==");
}

// A parser hands over a head's field lines in one piece, with where each
// field lies in them; a field outside them is refused, not read.
TEST(Headers, TakesFieldLinesInOnePiece) {
  const std::string_view lines = "Host: a.example\r\nUpgrade: websocket";
  Headers headers{{"Old", "gone"}};
  const Headers::Span spans[] = {{0, 4, 6, 9}, {17, 7, 26, 9}};
  headers.assign(lines, spans);
  EXPECT_EQ(headers, (Headers{{"Host", "a.example"}, {"Upgrade", "websocket"}}));
  headers.add("Connection", "Upgrade");
  EXPECT_TRUE(headers.has_token("connection", "upgrade"));
  const Headers::Span outside[] = {{0, 4, 30, 9}};
  EXPECT_THROW(headers.assign(lines, outside), std::out_of_range);
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
