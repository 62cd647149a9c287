// The request heads nearly every client sends (GET, an origin-form target,
// HTTP/1.0 or 1.1, plain fields, no body) parsed in one pass when the whole
// head has arrived, instead of through http_parser's byte-at-a-time callbacks:
// a WebSocket handshake spends most of its parsing time there.
//
// It declines everything else: a partial head, another method, a body
// (Content-Length, Transfer-Encoding), obs-fold, bare LF, Proxy-Connection,
// bytes outside printable ASCII, any limit reached, any error. http_parser
// stays the authority for those, so a declined head costs one extra scan and
// errors are reported exactly as before. What it does take, it takes with the
// result http_parser would give (checked differentially by
// tests/fuzz/http_request_fuzz.cpp and tests/unit/http/parser_test.cpp, which
// compare whole heads against the same bytes fed one at a time).
#pragma once

#include <cstddef>
#include <string_view>

#include "faye/http/parser.hpp"
#include "faye/http/request.hpp"

namespace faye::http::detail {

struct SimpleRequest {
  std::size_t head_size = 0;  // 0: declined, `request` untouched
  bool keep_alive = false;
  bool upgrade = false;
};

// `data` starts at the first byte of a request. On success `request` has its
// method, target, version and fields; the head is complete and, having no
// body, so is the request.
SimpleRequest parse_simple_request(std::string_view data, const RequestParser::Options& options,
                                   Request& request);

}  // namespace faye::http::detail
