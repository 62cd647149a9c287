#include "faye/driver/extension_header.hpp"

namespace faye::driver {
namespace {

// RFC 7230 3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
constexpr bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  std::size_t position() const { return pos_; }
  void advance() { ++pos_; }

  // RFC 7230 3.2.3: OWS = *( SP / HTAB )
  void skip_ows() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }

  std::string_view token() {
    std::size_t start = pos_;
    while (!at_end() && is_tchar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // RFC 7230 3.2.6: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE,
  // starting at the opening quote. False on a malformed string.
  bool quoted_string(std::string& out) {
    ++pos_;  // the opening quote
    while (!at_end()) {
      auto c = static_cast<unsigned char>(text_[pos_++]);
      if (c == '"') return true;
      if (c == '\\') {
        if (at_end()) return false;
        c = static_cast<unsigned char>(text_[pos_++]);
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        if (c != '\t' && (c < 0x20 || c == 0x7F)) return false;
      } else if (c != '\t' && (c < 0x20 || c == 0x7F)) {
        // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
        return false;
      }
      out.push_back(static_cast<char>(c));
    }
    return false;  // no closing quote
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool parse_param(Scanner& scan, ExtensionParams& params, std::string& error) {
  std::string_view name = scan.token();
  if (name.empty()) {
    error = "expected a parameter name at offset " + std::to_string(scan.position());
    return false;
  }
  ExtensionParam param{std::string(name), std::nullopt};
  scan.skip_ows();
  if (scan.peek() == '=') {
    scan.advance();
    scan.skip_ows();
    std::string value;
    if (scan.peek() == '"') {
      std::size_t start = scan.position();
      if (!scan.quoted_string(value)) {
        error = "malformed quoted string at offset " + std::to_string(start);
        return false;
      }
      // RFC 6455 9.1: "the value after quoted-string unescaping MUST
      // conform to the 'token' ABNF".
      if (!is_token(value)) {
        error = "quoted value of '" + param.name + "' is not a token";
        return false;
      }
    } else {
      value = scan.token();
      if (value.empty()) {
        error = "expected a value for '" + param.name + "' at offset " +
                std::to_string(scan.position());
        return false;
      }
    }
    param.value = std::move(value);
    scan.skip_ows();
  }
  params.push_back(std::move(param));
  return true;
}

}  // namespace

bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

ParsedExtensions parse_extension_header(std::string_view header) {
  ParsedExtensions result;
  Scanner scan(header);
  auto fail = [&](std::string message) {
    result.offers.clear();
    result.error = std::move(message);
    return result;
  };
  scan.skip_ows();
  while (!scan.at_end()) {
    // RFC 7230 7: "a recipient MUST accept empty list elements".
    if (scan.peek() == ',') {
      scan.advance();
      scan.skip_ows();
      continue;
    }
    std::string_view name = scan.token();
    if (name.empty()) {
      return fail("expected an extension name at offset " + std::to_string(scan.position()));
    }
    ExtensionOffer offer{std::string(name), {}};
    scan.skip_ows();
    while (scan.peek() == ';') {
      scan.advance();
      scan.skip_ows();
      if (!parse_param(scan, offer.params, result.error)) return fail(std::move(result.error));
    }
    if (!scan.at_end() && scan.peek() != ',') {
      return fail("unexpected character at offset " + std::to_string(scan.position()));
    }
    result.offers.push_back(std::move(offer));
  }
  return result;
}

std::string serialize_extension(std::string_view name, const ExtensionParams& params) {
  std::string out(name);
  for (const ExtensionParam& param : params) {
    out.append("; ").append(param.name);
    if (!param.value) continue;
    out.push_back('=');
    if (is_token(*param.value)) {
      out.append(*param.value);
      continue;
    }
    out.push_back('"');
    for (char c : *param.value) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out;
}

std::string serialize_extension_header(const std::vector<ExtensionOffer>& offers) {
  std::string out;
  for (const ExtensionOffer& offer : offers) {
    if (!out.empty()) out.append(", ");
    out.append(serialize_extension(offer.name, offer.params));
  }
  return out;
}

}  // namespace faye::driver
