// The Sec-WebSocket-Extensions header (RFC 6455 9.1): a list of extensions,
// each a token with `;`-separated parameters whose values are tokens or
// quoted strings (RFC 7230 3.2.6). One extension may be offered several
// times, in order of preference; several extensions may be listed.
//
//   Sec-WebSocket-Extensions = extension-list
//   extension-list = 1#extension
//   extension = extension-token *( ";" extension-param )
//   extension-param = token [ "=" (token | quoted-string) ]
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faye::driver {

struct ExtensionParam {
  std::string name;
  std::optional<std::string> value;  // nullopt: a parameter without "="

  bool operator==(const ExtensionParam&) const = default;
};

using ExtensionParams = std::vector<ExtensionParam>;

// One element of the list: an offer (request) or an acceptance (response).
struct ExtensionOffer {
  std::string name;
  ExtensionParams params;

  bool operator==(const ExtensionOffer&) const = default;
};

struct ParsedExtensions {
  std::vector<ExtensionOffer> offers;  // in header order
  std::string error;                   // empty when the header is well formed

  explicit operator bool() const { return error.empty(); }
};

// RFC 7230 3.2.6 token: one or more tchar.
bool is_token(std::string_view text);

// Parses a header value (several header lines joined with ","). Whitespace
// is allowed around ",", ";" and "=", and empty list elements are skipped
// (RFC 7230 7), so a blank value is an empty list. A quoted value is
// unescaped and must then be a token (RFC 6455 9.1), as must every name.
ParsedExtensions parse_extension_header(std::string_view header);

// "name; key; key=value", quoting values that are not tokens.
std::string serialize_extension(std::string_view name, const ExtensionParams& params);
// The offers joined with ", ".
std::string serialize_extension_header(const std::vector<ExtensionOffer>& offers);

}  // namespace faye::driver
