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

}  // namespace
}  // namespace faye::http
