#include "simple_request.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "chars.hpp"

namespace faye::http::detail {
namespace {

// More fields, or a longer head, go the general way. 64 KiB stays under
// http_parser's own ceiling of 80 KiB, which the general way applies.
constexpr std::size_t kMaxFields = 32;
constexpr std::size_t kMaxHead = 64 * 1024;

// How many bytes from `p` are field-value characters, 16 at a time: a value
// is the longest stretch of a head.
std::size_t value_run(const char* p, std::size_t size) {
  std::size_t i = 0;
#ifdef __SSE2__
  // Adding 1 maps 0x20..0x7E, and nothing else, to signed 0x21..0x7F.
  const __m128i one = _mm_set1_epi8(1);
  const __m128i floor = _mm_set1_epi8(0x21);
  const __m128i tab = _mm_set1_epi8('\t');
  for (; i + 16 <= size; i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const __m128i outside = _mm_cmplt_epi8(_mm_add_epi8(bytes, one), floor);
    const __m128i stop = _mm_andnot_si128(_mm_cmpeq_epi8(bytes, tab), outside);
    if (const int mask = _mm_movemask_epi8(stop); mask != 0) {
      return i + static_cast<unsigned>(__builtin_ctz(mask));
    }
  }
#endif
  while (i < size && is(p[i], kValue)) ++i;
  return i;
}

// A field name: token characters up to the colon, which memchr finds.
// Returns the name's length, or 0 unless a colon ends a valid name.
std::size_t name_run(const char* p, std::size_t size) {
  const void* colon = std::memchr(p, ':', size);
  if (colon == nullptr) return 0;
  const std::size_t length = static_cast<std::size_t>(static_cast<const char*>(colon) - p);
  return is_token(std::string_view(p, length)) ? length : 0;
}

bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// The connection options http_parser acts on.
struct ConnectionTokens {
  bool close = false;
  bool keep_alive = false;
  bool upgrade = false;
};

// A Connection value: tokens separated by commas with optional spaces.
// Anything else is declined, for http_parser to judge.
bool read_connection(std::string_view value, ConnectionTokens& tokens) {
  std::size_t i = 0;
  while (true) {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < value.size() && is(value[i], kTchar)) ++i;
    const std::string_view token = value.substr(start, i - start);
    if (token.empty()) return false;
    tokens.close |= iequals(token, "close");
    tokens.keep_alive |= iequals(token, "keep-alive");
    tokens.upgrade |= iequals(token, "upgrade");
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    if (i == value.size()) return true;
    if (value[i] != ',') return false;
    ++i;
  }
}

}  // namespace

SimpleRequest parse_simple_request(std::string_view data, const RequestParser::Options& options,
                                   Request& request) {
  const std::string_view head =
      data.substr(0, std::min({data.size(), options.max_header_bytes, kMaxHead}));
  if (!head.starts_with("GET /")) return {};

  // Request line: GET SP origin-form SP HTTP/1.x CRLF.
  std::size_t p = 4;
  while (p < head.size() && is(head[p], kTarget)) ++p;
  const std::string_view target = head.substr(4, p - 4);
  if (target.size() > options.max_target_length) return {};
  const std::string_view version = head.substr(p, 11);
  if (version.size() != 11 || !version.starts_with(" HTTP/1.") || !version.ends_with("\r\n")) {
    return {};
  }
  const char minor = version[8];
  if (minor != '0' && minor != '1') return {};
  p += 11;

  std::array<Headers::Span, kMaxFields> fields;
  std::size_t count = 0;
  std::size_t hosts = 0;
  bool upgrade_field = false;
  ConnectionTokens connection;
  while (true) {
    if (p + 2 > head.size()) return {};
    if (head[p] == '\r') {
      if (head[p + 1] != '\n') return {};
      p += 2;
      break;
    }
    const std::size_t name = p;
    p += name_run(head.data() + p, head.size() - p);
    if (p == name) return {};
    const std::string_view field_name = head.substr(name, p - name);
    ++p;
    while (p < head.size() && (head[p] == ' ' || head[p] == '\t')) ++p;
    const std::size_t value = p;
    p += value_run(head.data() + p, head.size() - p);
    if (p + 2 > head.size() || head[p] != '\r' || head[p + 1] != '\n') return {};
    std::size_t value_end = p;
    while (value_end > value && (head[value_end - 1] == ' ' || head[value_end - 1] == '\t')) {
      --value_end;
    }
    const std::string_view field_value = head.substr(value, value_end - value);
    p += 2;
    if (count == kMaxFields || count == options.max_header_count) return {};
    fields[count++] = {
        static_cast<std::uint32_t>(name), static_cast<std::uint32_t>(field_name.size()),
        static_cast<std::uint32_t>(value), static_cast<std::uint32_t>(value_end - value)};

    // The fields http_parser interprets itself, told apart by length first.
    switch (field_name.size()) {
      case 4:
        hosts += iequals(field_name, "Host") ? 1 : 0;
        break;
      case 7:
        if (iequals(field_name, "Upgrade")) {
          // http_parser heeds an Upgrade field only with a value.
          if (field_value.empty()) return {};
          upgrade_field = true;
        }
        break;
      case 10:
        if (iequals(field_name, "Connection") && !read_connection(field_value, connection)) {
          return {};
        }
        break;
      case 16:
        if (iequals(field_name, "Proxy-Connection")) return {};
        break;
      default:
        break;
    }
    // A body's framing is http_parser's to judge, and it reads a field as
    // Transfer-Encoding when only the name's start matches
    // ("Transfer-Encodingx" too): any name that begins like one is left to it.
    // (Told apart by the first letter first: most names start otherwise.)
    const char initial = static_cast<char>(field_name.front() | 0x20);
    if ((initial == 't' && starts_with_ignoring_case(field_name, "Transfer-Encoding")) ||
        (initial == 'c' && starts_with_ignoring_case(field_name, "Content-Length"))) {
      return {};
    }
  }
  // RFC 9112 3.2: exactly one Host in HTTP/1.1, at most one in 1.0; the
  // general way words the error.
  if (hosts > 1 || (hosts == 0 && minor == '1')) return {};

  request.method = "GET";
  request.target.assign(target);
  request.version_major = 1;
  request.version_minor = minor - '0';
  // The field lines go over in one piece, separators and all.
  if (count != 0) {
    const std::uint32_t base = fields[0].name;
    const std::uint32_t end = fields[count - 1].value + fields[count - 1].value_size;
    for (std::size_t i = 0; i < count; ++i) {
      fields[i].name -= base;
      fields[i].value -= base;
    }
    request.headers.assign(head.substr(base, end - base), {fields.data(), count});
  }
  // As http_parser decides them (http_should_keep_alive, the upgrade flag).
  SimpleRequest result;
  result.head_size = p;
  result.upgrade = upgrade_field && connection.upgrade;
  result.keep_alive = !result.upgrade && (minor == '1' ? !connection.close : connection.keep_alive);
  return result;
}

}  // namespace faye::http::detail
