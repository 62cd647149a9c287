#include "faye/http/url.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace faye::http {
namespace {

// The message of the exception Url::parse throws, or "" when it accepts.
std::string error_of(std::string_view text) {
  try {
    Url::parse(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Url, ParsesAWebSocketUrl) {
  Url url = Url::parse("ws://example.com:8080/chat?room=1");
  EXPECT_EQ(url.scheme, "ws");
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.port, 8080);
  EXPECT_EQ(url.target, "/chat?room=1");
  EXPECT_EQ(url.userinfo, "");
  EXPECT_FALSE(url.secure());
  EXPECT_FALSE(url.is_ipv6());
  EXPECT_EQ(url.host_header(), "example.com:8080");
  EXPECT_EQ(url.to_string(), "ws://example.com:8080/chat?room=1");
}

TEST(Url, UsesTheSchemesDefaultPort) {
  EXPECT_EQ(Url::parse("ws://h/").port, 80);
  EXPECT_EQ(Url::parse("http://h/").port, 80);
  EXPECT_EQ(Url::parse("wss://h/").port, 443);
  EXPECT_EQ(Url::parse("https://h/").port, 443);
  EXPECT_TRUE(Url::parse("wss://h/").secure());
  EXPECT_TRUE(Url::parse("https://h/").secure());
  // RFC 3986 3.2.3: an empty port is the default one.
  EXPECT_EQ(Url::parse("wss://h:/").port, 443);
}

TEST(Url, OmitsTheDefaultPortFromTheHostHeader) {
  EXPECT_EQ(Url::parse("ws://h:80/").host_header(), "h");
  EXPECT_EQ(Url::parse("wss://h:443/").host_header(), "h");
  EXPECT_EQ(Url::parse("wss://h:80/").host_header(), "h:80");
  EXPECT_EQ(Url::parse("ws://h:443/").to_string(), "ws://h:443/");
}

TEST(Url, LowerCasesSchemeAndHost) {
  Url url = Url::parse("WSS://Example.COM/Path");
  EXPECT_EQ(url.scheme, "wss");
  EXPECT_EQ(url.host, "example.com");
  EXPECT_EQ(url.target, "/Path");
}

TEST(Url, DefaultsAnEmptyPathToSlash) {
  // RFC 6455 3: the resource name is "/" when the path is empty.
  EXPECT_EQ(Url::parse("ws://h").target, "/");
  EXPECT_EQ(Url::parse("ws://h:81").target, "/");
  EXPECT_EQ(Url::parse("ws://h?x=1").target, "/?x=1");
  EXPECT_EQ(Url::parse("ws://h/a/b/?q=%20&r").target, "/a/b/?q=%20&r");
}

TEST(Url, ParsesIpv6Literals) {
  Url url = Url::parse("ws://[::1]:9000/x");
  EXPECT_EQ(url.host, "::1");
  EXPECT_TRUE(url.is_ipv6());
  EXPECT_EQ(url.port, 9000);
  EXPECT_EQ(url.host_header(), "[::1]:9000");
  EXPECT_EQ(url.to_string(), "ws://[::1]:9000/x");
  EXPECT_EQ(Url::parse("wss://[2001:DB8::A]").host, "2001:db8::a");
  EXPECT_EQ(Url::parse("wss://[2001:db8::a]").host_header(), "[2001:db8::a]");
  EXPECT_EQ(Url::parse("ws://[1:2:3:4:5:6:7:8]/").host, "1:2:3:4:5:6:7:8");
  EXPECT_EQ(Url::parse("ws://[::ffff:192.0.2.1]/").host, "::ffff:192.0.2.1");
  EXPECT_EQ(Url::parse("ws://[::]/").host, "::");
  EXPECT_EQ(Url::parse("ws://[1::]/").host, "1::");
}

TEST(Url, RejectsMalformedIpv6Literals) {
  for (std::string_view bad :
       {"ws://[::1/", "ws://[]/", "ws://[:::1]/", "ws://[1::2::3]/", "ws://[12345::]/",
        "ws://[1:2:3:4:5:6:7:8:9]/", "ws://[1:2:3:4:5:6:7]/", "ws://[g::1]/", "ws://[::1]x/",
        "ws://[::1%25eth0]/", "ws://[::256.0.0.1]/", "ws://[1:]/"}) {
    EXPECT_NE(error_of(bad), "") << bad;
  }
  EXPECT_NE(error_of("ws://::1/").find("brackets"), std::string::npos);
}

TEST(Url, ValidatesPorts) {
  EXPECT_EQ(Url::parse("ws://h:1/").port, 1);
  EXPECT_EQ(Url::parse("ws://h:65535/").port, 65535);
  EXPECT_EQ(Url::parse("ws://h:0080/").port, 80);
  EXPECT_NE(error_of("ws://h:0/").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("ws://h:65536/").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("ws://h:99999999999999999999/").find("out of range"), std::string::npos);
  EXPECT_NE(error_of("ws://h:-1/").find("not a number"), std::string::npos);
  EXPECT_NE(error_of("ws://h:8o/").find("not a number"), std::string::npos);
  EXPECT_NE(error_of("ws://[::1]:x/").find("not a number"), std::string::npos);
}

TEST(Url, RejectsUnsupportedOrMissingSchemes) {
  EXPECT_NE(error_of("ftp://h/").find("unsupported scheme 'ftp'"), std::string::npos);
  EXPECT_NE(error_of("example.com/chat").find("missing scheme"), std::string::npos);
  EXPECT_NE(error_of("://h/").find("missing scheme"), std::string::npos);
  EXPECT_NE(error_of("ws:/h/").find("missing scheme"), std::string::npos);
  EXPECT_NE(error_of("").find("missing scheme"), std::string::npos);
}

TEST(Url, RejectsAFragmentInWebSocketUrls) {
  // RFC 6455 3: fragment identifiers MUST NOT be used on these URIs.
  EXPECT_NE(error_of("ws://h/#x").find("fragment"), std::string::npos);
  EXPECT_NE(error_of("wss://h/chat?a#").find("fragment"), std::string::npos);
  EXPECT_EQ(Url::parse("http://h/page?q#section").target, "/page?q");
}

TEST(Url, RejectsAMissingOrInvalidHost) {
  EXPECT_NE(error_of("ws:///path").find("missing host"), std::string::npos);
  EXPECT_NE(error_of("ws://:80/").find("missing host"), std::string::npos);
  EXPECT_NE(error_of("ws://user@/").find("missing host"), std::string::npos);
  EXPECT_NE(error_of("ws://exa mple.com/").find("host"), std::string::npos);
  EXPECT_NE(error_of("ws://h%41/").find("host"), std::string::npos);
}

TEST(Url, RejectsInvalidCharactersInThePath) {
  EXPECT_NE(error_of("ws://h/a b").find("path"), std::string::npos);
  EXPECT_NE(error_of("ws://h/a\r\nX: y").find("path"), std::string::npos);
  EXPECT_NE(error_of("ws://h/%zz").find("path"), std::string::npos);
  EXPECT_NE(error_of("ws://h/%4").find("path"), std::string::npos);
  EXPECT_NE(error_of("ws://h/\xc3\xa9").find("path"), std::string::npos);
  EXPECT_NE(error_of("ws://h/<script>").find("path"), std::string::npos);
}

TEST(Url, KeepsUserinfoForProxies) {
  Url url = Url::parse("http://user:p%40ss@proxy.local:3128");
  EXPECT_EQ(url.scheme, "http");
  EXPECT_EQ(url.userinfo, "user:p%40ss");
  EXPECT_EQ(url.host, "proxy.local");
  EXPECT_EQ(url.port, 3128);
  EXPECT_EQ(url.target, "/");
  EXPECT_EQ(url.to_string(), "http://proxy.local:3128/");
  // RFC 3986 3.2.1: '@' inside userinfo must be percent-encoded.
  EXPECT_NE(error_of("http://a@b@h/").find("userinfo"), std::string::npos);
  EXPECT_NE(error_of("http://us er@h/").find("userinfo"), std::string::npos);
}

TEST(Url, PercentDecodes) {
  EXPECT_EQ(percent_decode("p%40ss%3a%2F"), "p@ss:/");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode("%00"), std::string(1, '\0'));
  EXPECT_EQ(percent_decode("%e2%82%AC"), "\xe2\x82\xac");
  EXPECT_EQ(percent_decode(""), "");
}

}  // namespace
}  // namespace faye::http
