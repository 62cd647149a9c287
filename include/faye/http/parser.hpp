// Incremental HTTP/1.1 message parsers (RFC 9112) for untrusted input: feed
// bytes as they arrive, in pieces of any size, and get a Request (server side)
// or a response head (client handshake, proxy CONNECT reply). Bytes that
// follow a complete message are never consumed, so pipelined requests and the
// bytes of an upgraded protocol stay with the caller.
//
// The wire grammar is http_parser's (a decade of fuzzing); it is an
// implementation detail behind a pimpl so that llhttp can replace it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "faye/http/headers.hpp"
#include "faye/http/request.hpp"

namespace faye::http {

enum class ParseState { need_more, complete, error };

// Why a message was rejected. RequestParser::error_status() gives the status
// code to answer a request with.
enum class ParseError {
  none,
  malformed,            // 400: not HTTP/1.x syntax, or a rule of RFC 9112 broken
  head_too_large,       // 431: the head exceeds max_header_bytes
  too_many_headers,     // 431: more than max_header_count fields
  target_too_long,      // 414: the request-target exceeds max_target_length
  body_too_large,       // 413: the body exceeds max_body_size
  unsupported_version,  // 505: a major version other than 1
  out_of_memory,        // 500: allocation failed
};

class RequestParser {
 public:
  struct Options {
    // Request line, fields and the blank line, in bytes; a chunked body's
    // trailer section has the same allowance of its own. http_parser has a
    // hard ceiling of 80 KiB of its own.
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_header_count = 100;
    std::size_t max_target_length = 8 * 1024;
    // Decoded body bytes (after de-chunking). A Content-Length above it is
    // rejected as soon as the head is read.
    std::size_t max_body_size = 1024 * 1024;
  };

  RequestParser();
  explicit RequestParser(Options options);
  RequestParser(RequestParser&&) noexcept;
  RequestParser& operator=(RequestParser&&) noexcept;
  ~RequestParser();

  // Consumes bytes up to the end of the current request and returns how many
  // it took; the rest belongs to the next request (pipelining) or, after an
  // upgrade, to the new protocol. Called after a complete request, it starts
  // the next one (the completed request is discarded unless taken). Does
  // nothing in the error state. Never throws: failures, running out of memory
  // included, are the error state.
  std::size_t parse(std::string_view data) noexcept;

  ParseState state() const noexcept;
  bool complete() const noexcept { return state() == ParseState::complete; }
  bool failed() const noexcept { return state() == ParseState::error; }

  // The head has been read (the body may still be arriving): the time to
  // answer `Expect: 100-continue` (RFC 9110 10.1.1).
  bool head_complete() const noexcept;

  // The request being assembled: method, version and fields are set once the
  // head is complete, the body once complete(). Fields are in arrival order;
  // trailer fields of a chunked body are discarded (RFC 9110 6.5.1).
  const Request& request() const noexcept;
  // Moves the completed request out and resets for the next one.
  Request take();
  // Forgets everything, ready for a new request.
  void reset();

  // For the completed request: may the connection carry another request after
  // the response? HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
  // `Connection: keep-alive` (RFC 9112 9.3). False after an upgrade.
  bool keep_alive() const noexcept;
  // The completed request asks to leave HTTP: `Upgrade` listed in
  // `Connection` (RFC 9110 7.8), or CONNECT. Parsing stopped right after the
  // head: whatever follows (a draft-76 key3, WebSocket frames, a tunnel) was
  // not consumed and any body is left to the new protocol.
  bool upgrade() const noexcept;

  ParseError error() const noexcept;
  // The status to answer a rejected request with (400, 413, 414, 431, 500,
  // 505), or 0 when there is no error.
  int error_status() const noexcept;
  // Human-readable reason, for logs and the response body.
  std::string_view error_message() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// A response's status line and header section.
struct ResponseHead {
  int version_major = 1;
  int version_minor = 1;
  int status = 0;
  std::string reason;
  Headers headers;
};

// Parses the head of a response and stops after its blank line without
// reading a body: the bytes after a 101 belong to the WebSocket, those after a
// 2xx reply to CONNECT to the tunnel. Interim 1xx responses other than 101
// are skipped (RFC 9110 15.2).
class ResponseParser {
 public:
  struct Options {
    // All heads read (interim ones included), status line to blank line.
    std::size_t max_head_bytes = 16 * 1024;
    std::size_t max_header_count = 100;
  };

  ResponseParser();
  explicit ResponseParser(Options options);
  ResponseParser(ResponseParser&&) noexcept;
  ResponseParser& operator=(ResponseParser&&) noexcept;
  ~ResponseParser();

  // Consumes bytes up to the end of the head and returns how many it took.
  // Once complete (or failed) it consumes nothing more until reset(). Never
  // throws.
  std::size_t parse(std::string_view data) noexcept;

  ParseState state() const noexcept;
  bool complete() const noexcept { return state() == ParseState::complete; }
  bool failed() const noexcept { return state() == ParseState::error; }

  const ResponseHead& head() const noexcept;
  ResponseHead take();
  void reset();

  // Bytes consumed so far, interim heads included; once complete, where the
  // next protocol's bytes start in the stream.
  std::size_t head_size() const noexcept;

  ParseError error() const noexcept;
  std::string_view error_message() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faye::http
