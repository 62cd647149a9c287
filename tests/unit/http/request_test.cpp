#include "faye/http/request.hpp"

#include <gtest/gtest.h>

namespace faye::http {
namespace {

Request with_target(std::string target) {
  Request request;
  request.target = std::move(target);
  return request;
}

TEST(Request, SplitsTheTargetIntoPathAndQuery) {
  Request request = with_target("/chat?room=1&x");
  EXPECT_EQ(request.path(), "/chat");
  EXPECT_EQ(request.query(), "room=1&x");
}

TEST(Request, HasAnEmptyQueryWithoutQuestionMark) {
  Request request = with_target("/chat");
  EXPECT_EQ(request.path(), "/chat");
  EXPECT_EQ(request.query(), "");
  EXPECT_EQ(with_target("/a?").query(), "");
}

TEST(Request, StopsThePathAndQueryAtAFragment) {
  EXPECT_EQ(with_target("/a#f").path(), "/a");
  EXPECT_EQ(with_target("/a?b#c").query(), "b");
}

TEST(Request, KeepsNonOriginTargetsWhole) {
  // RFC 9112 3.2.3 authority-form and 3.2.4 asterisk-form.
  EXPECT_EQ(with_target("example.com:443").path(), "example.com:443");
  EXPECT_EQ(with_target("*").path(), "*");
}

TEST(Request, ReadsHostFromTheHeaders) {
  Request request;
  EXPECT_EQ(request.host(), "");
  request.headers.add("host", "example.com:8080");
  EXPECT_EQ(request.host(), "example.com:8080");
}

TEST(Request, DefaultsToHttp11) {
  Request request;
  EXPECT_EQ(request.version_major, 1);
  EXPECT_EQ(request.version_minor, 1);
  EXPECT_FALSE(request.secure);
  EXPECT_EQ(request.connection, nullptr);
}

}  // namespace
}  // namespace faye::http
