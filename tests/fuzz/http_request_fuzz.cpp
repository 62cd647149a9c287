// Differential fuzzing of the HTTP parsers: the input (raw HTTP, so that seeds
// are plain requests) is parsed whole, a byte at a time, and cut at
// pseudo-random points derived from its hash; every run must see the same
// messages, consume the same bytes and fail on the same message. (Which error
// is reported may differ when a message breaks two rules: http_parser reports
// a token when it ends or when the buffer does, so a limit can trip before or
// after a syntax error depending on the cuts.) Sanitizers catch the rest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "faye/http/parser.hpp"

namespace {

using faye::http::ParseState;
using faye::http::RequestParser;
using faye::http::ResponseParser;

// Piece sizes for one run: `max` 0 means the whole rest, otherwise 1..max
// bytes drawn from a linear congruential generator.
class Splitter {
 public:
  Splitter(std::uint64_t seed, std::size_t max) : state_(seed), max_(max) {}
  std::size_t next(std::size_t left) {
    if (max_ == 0) return left;
    state_ = state_ * 6364136223846793005u + 1442695040888963407u;
    std::size_t size = 1 + (state_ >> 33) % max_;
    return size < left ? size : left;
  }

 private:
  std::uint64_t state_;
  std::size_t max_;
};

std::uint64_t fnv1a(std::string_view data) {
  std::uint64_t hash = 14695981039346656037u;
  for (char c : data) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211u;
  return hash;
}

void check(bool ok) {
  if (!ok) std::abort();
}

std::string describe(const faye::http::Headers& headers) {
  std::string out;
  for (const auto& [name, value] : headers) out.append(name).append(":").append(value).append("\n");
  return out;
}

// Every request in the input, pipelined, until an upgrade, an error or the end.
std::string parse_requests(std::string_view input, Splitter splitter) {
  // Small limits so that every limit is within the fuzzer's reach.
  RequestParser parser({.max_header_bytes = 512,
                        .max_header_count = 16,
                        .max_target_length = 128,
                        .max_body_size = 1024});
  std::string log;
  std::size_t offset = 0;
  while (offset < input.size()) {
    std::string_view piece = input.substr(offset, splitter.next(input.size() - offset));
    std::size_t n = parser.parse(piece);
    check(n <= piece.size());
    offset += n;
    if (parser.failed()) {
      check(parser.error_status() >= 400 && !parser.error_message().empty());
      log += "error\n";
      return log;
    }
    if (parser.complete()) {
      const auto& request = parser.request();
      check(request.target.size() <= 128 && request.body.size() <= 1024);
      check(request.headers.size() <= 16);
      log += request.method + " " + request.target + " " + std::to_string(offset) + " " +
             std::to_string(parser.keep_alive()) + std::to_string(parser.upgrade()) + "\n" +
             describe(request.headers) + request.body + "\n";
      if (parser.upgrade()) return log;
      parser.take();
      continue;
    }
    check(n == piece.size());  // need_more consumes everything it is given
  }
  return log + "need_more\n";
}

std::string parse_response(std::string_view input, Splitter splitter) {
  ResponseParser parser({.max_head_bytes = 512, .max_header_count = 16});
  std::size_t offset = 0;
  while (offset < input.size() && parser.state() == ParseState::need_more) {
    std::string_view piece = input.substr(offset, splitter.next(input.size() - offset));
    std::size_t n = parser.parse(piece);
    check(n <= piece.size());
    offset += n;
  }
  if (parser.failed()) return "error";
  check(parser.head_size() == offset && offset <= 512);
  if (!parser.complete()) return "need_more";
  const auto& head = parser.head();
  check(parser.parse(input.substr(offset)) == 0);
  return std::to_string(head.status) + " " + head.reason + " " + std::to_string(offset) + "\n" +
         describe(head.headers);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::uint64_t seed = fnv1a(input);
  const Splitter whole(0, 0), bytes(0, 1), random(seed, 1 + seed % 64);

  std::string requests = parse_requests(input, whole);
  check(parse_requests(input, bytes) == requests);
  check(parse_requests(input, random) == requests);

  std::string head = parse_response(input, whole);
  check(parse_response(input, bytes) == head);
  check(parse_response(input, random) == head);
  return 0;
}
