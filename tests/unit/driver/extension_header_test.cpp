#include "faye/driver/extension_header.hpp"

#include <gtest/gtest.h>

namespace faye::driver {
namespace {

using Offers = std::vector<ExtensionOffer>;

ExtensionParam flag(std::string name) { return {std::move(name), std::nullopt}; }
ExtensionParam param(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}

Offers parse(std::string_view header) {
  ParsedExtensions parsed = parse_extension_header(header);
  EXPECT_TRUE(parsed) << header << ": " << parsed.error;
  return parsed.offers;
}

TEST(ExtensionHeader, ParsesABareExtension) {
  EXPECT_EQ(parse("permessage-deflate"), (Offers{{"permessage-deflate", {}}}));
}

TEST(ExtensionHeader, ParsesParametersWithAndWithoutValues) {
  EXPECT_EQ(parse("permessage-deflate; client_max_window_bits; server_max_window_bits=10"),
            (Offers{{"permessage-deflate",
                     {flag("client_max_window_bits"), param("server_max_window_bits", "10")}}}));
}

TEST(ExtensionHeader, AcceptsEveryTokenCharacter) {
  EXPECT_EQ(parse("x!#$%&'*+-.^_`|~09AZaz; k!#$%&'*+-.^_`|~=v!#$%&'*+-.^_`|~"),
            (Offers{{"x!#$%&'*+-.^_`|~09AZaz", {param("k!#$%&'*+-.^_`|~", "v!#$%&'*+-.^_`|~")}}}));
}

TEST(ExtensionHeader, UnquotesValues) {
  EXPECT_EQ(parse("a; b=\"10\""), (Offers{{"a", {param("b", "10")}}}));
  // RFC 7230 3.2.6 quoted-pair: the backslash escapes any character.
  EXPECT_EQ(parse("a; b=\"\\1\\0\""), (Offers{{"a", {param("b", "10")}}}));
  EXPECT_EQ(parse("a; b=\"x\\-y\", c"), (Offers{{"a", {param("b", "x-y")}}, {"c", {}}}));
}

TEST(ExtensionHeader, AllowsWhitespaceAroundSeparators) {
  Offers expected{{"a", {param("b", "1"), flag("c")}}, {"d", {}}};
  EXPECT_EQ(parse("a;b=1;c,d"), expected);
  EXPECT_EQ(parse("  a ; b = 1 ;\tc\t,  d  "), expected);
  EXPECT_EQ(parse("a; b= \"1\" ;c ,d"), expected);
}

TEST(ExtensionHeader, KeepsSeveralOffersOfOneExtensionInOrder) {
  EXPECT_EQ(parse("permessage-deflate; server_max_window_bits=10, permessage-deflate, x-foo"),
            (Offers{{"permessage-deflate", {param("server_max_window_bits", "10")}},
                    {"permessage-deflate", {}},
                    {"x-foo", {}}}));
}

TEST(ExtensionHeader, KeepsRepeatedParameters) {
  // Duplicates are for the extension to judge (RFC 7692 7 declines them).
  EXPECT_EQ(parse("a; b; b=2"), (Offers{{"a", {flag("b"), param("b", "2")}}}));
}

TEST(ExtensionHeader, SkipsEmptyListElements) {
  // RFC 7230 7: "a recipient MUST accept empty list elements".
  EXPECT_EQ(parse(", a ,, b,"), (Offers{{"a", {}}, {"b", {}}}));
  EXPECT_EQ(parse(""), Offers{});
  EXPECT_EQ(parse("  "), Offers{});
}

TEST(ExtensionHeader, RefusesMalformedHeaders) {
  for (const char* header : {
           ";",                   // no extension name
           "a;",                  // no parameter name
           "a;;b",                //
           "a; =1",               //
           "a; b=",               // no value
           "a; b=,c",             //
           "a b",                 // two tokens
           "a; b c",              //
           "a; b=1 2",            //
           "a; b=\"1",            // unterminated quoted string
           "a; b=\"1\\",          // escape at the end
           "a; b=\"\"",           // RFC 6455 9.1: a quoted value must be a token
           "a; b=\"1 2\"",        //
           "a; b=\"1,2\"",        //
           "a; b=\"x\"y",         // text after the quoted string
           "a; b=\"\x01\"",       // control character
           "a; b=\"\\\x01\"",     // escaped control character
           "a=1",                 // extension names have no value
           "\"a\"",               //
           "a; b=1\r\n",          // line breaks
           "caf\xc3\xa9",         // not ASCII
           "a; b=\xff",           //
           "a;\x7f",              //
       }) {
    ParsedExtensions parsed = parse_extension_header(header);
    EXPECT_FALSE(parsed) << header;
    EXPECT_FALSE(parsed.error.empty()) << header;
    EXPECT_TRUE(parsed.offers.empty()) << header;
  }
}

TEST(ExtensionHeader, SerializesNamesAndParameters) {
  EXPECT_EQ(serialize_extension("permessage-deflate", {}), "permessage-deflate");
  EXPECT_EQ(serialize_extension("permessage-deflate",
                                {flag("server_no_context_takeover"),
                                 param("client_max_window_bits", "10")}),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10");
  EXPECT_EQ(serialize_extension_header({{"a", {flag("b")}}, {"c", {}}}), "a; b, c");
  EXPECT_EQ(serialize_extension_header({}), "");
}

TEST(ExtensionHeader, QuotesValuesThatAreNotTokens) {
  EXPECT_EQ(serialize_extension("a", {param("b", "x y")}), "a; b=\"x y\"");
  EXPECT_EQ(serialize_extension("a", {param("b", "q\"\\")}), "a; b=\"q\\\"\\\\\"");
  EXPECT_EQ(serialize_extension("a", {param("b", "")}), "a; b=\"\"");
}

TEST(ExtensionHeader, RoundTrips) {
  Offers offers{{"permessage-deflate",
                 {flag("client_no_context_takeover"), param("server_max_window_bits", "9")}},
                {"permessage-deflate", {flag("client_max_window_bits")}},
                {"x-custom", {param("level", "1.5")}}};
  EXPECT_EQ(parse(serialize_extension_header(offers)), offers);
}

TEST(ExtensionHeader, RecognizesTokens) {
  EXPECT_TRUE(is_token("permessage-deflate"));
  EXPECT_TRUE(is_token("15"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a=b"));
  EXPECT_FALSE(is_token("a;"));
  EXPECT_FALSE(is_token("\"a\""));
  EXPECT_FALSE(is_token("a/b"));
}

}  // namespace
}  // namespace faye::driver
