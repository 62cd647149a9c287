#include "faye/http/parser.hpp"

#include <http_parser.h>

#include <utility>

#include "chars.hpp"
#include "simple_request.hpp"

namespace faye::http {
namespace {

// RFC 9110 5.5: field-vchar / obs-text / SP / HTAB; no other control bytes.
bool is_field_value(std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

void trim_trailing_ows(std::string& s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
}

// What requests and responses share: driving http_parser over a bounded head,
// assembling fields that arrive in pieces, and turning failures into states.
class MessageParser {
 public:
  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  ParseState state() const noexcept { return state_; }
  bool head_done() const noexcept { return head_done_; }
  ParseError error() const noexcept { return error_; }
  std::string_view error_message() const noexcept {
    return error_ == ParseError::out_of_memory ? "out of memory" : std::string_view(message_);
  }

  // The failure of last resort, which must not allocate.
  int out_of_memory() noexcept {
    state_ = ParseState::error;
    error_ = ParseError::out_of_memory;
    return -1;
  }

 protected:
  MessageParser(http_parser_type type, std::size_t max_head_bytes, std::size_t max_fields,
                bool reject_space_before_colon)
      : type_(type),
        max_head_bytes_(max_head_bytes),
        max_fields_(max_fields),
        reject_space_before_colon_(reject_space_before_colon) {
    restart();
  }
  virtual ~MessageParser() = default;

  // Starts a new message, keeping the error state and the byte count.
  void restart() {
    http_parser_init(&parser_, type_);
    parser_.data = this;
    head_done_ = false;
    name_.clear();
    value_.clear();
    last_ = Piece::none;
    fields_ = 0;
    trailer_bytes_ = 0;
  }

  void reset_all() {
    restart();
    state_ = ParseState::need_more;
    error_ = ParseError::none;
    message_.clear();
    head_bytes_ = 0;
  }

  // Feeds http_parser, never more head bytes than the budget allows, so that
  // an endless head costs at most max_head_bytes of input. Stops when a
  // message completes (on_message_complete pauses the parser).
  std::size_t execute(std::string_view data) {
    std::size_t total = 0;
    while (state_ == ParseState::need_more && total < data.size()) {
      if (!check_head_budget()) break;
      std::string_view chunk = data.substr(total);
      const bool in_head = !head_done_;
      if (in_head) chunk = chunk.substr(0, max_head_bytes_ - head_bytes_);
      std::size_t n = http_parser_execute(&parser_, &settings(), chunk.data(), chunk.size());
      total += n;
      if (in_head) head_bytes_ += n;
      auto err = HTTP_PARSER_ERRNO(&parser_);
      if (err == HPE_PAUSED) {
        http_parser_pause(&parser_, 0);
        after_message();
      } else if (err != HPE_OK) {
        if (state_ != ParseState::error) {
          fail(err == HPE_HEADER_OVERFLOW ? ParseError::head_too_large : ParseError::malformed,
               http_errno_description(err));
        }
        break;
      }
    }
    if (state_ == ParseState::need_more) check_head_budget();
    return total;
  }

  // Records the first failure; returns what a callback returns to abort.
  int fail(ParseError error, std::string_view message) {
    if (state_ != ParseState::error) {
      state_ = ParseState::error;
      error_ = error;
      message_.assign(message);
    }
    return -1;
  }

  void set_complete() { state_ = ParseState::complete; }

  // Nothing of the current message has been read yet.
  bool at_message_start() const noexcept {
    return state_ == ParseState::need_more && !head_done_ && head_bytes_ == 0;
  }
  // A whole message of `size` bytes was parsed without http_parser.
  void complete_without_parser(std::size_t size) {
    head_bytes_ = size;
    head_done_ = true;
    state_ = ParseState::complete;
  }

  http_parser parser_;
  std::size_t head_bytes_ = 0;  // consumed while reading heads

 private:
  // The per-message hooks.
  virtual int on_url(std::string_view) { return 0; }
  virtual int on_status(std::string_view) { return 0; }
  virtual int on_body(std::string_view) { return 0; }
  virtual int on_head(Headers& fields) = 0;  // headers complete; 2 stops at the head
  virtual int on_message_complete() = 0;
  virtual void after_message() {}
  virtual Headers& fields() = 0;

  bool check_head_budget() {
    if (head_done_ || head_bytes_ < max_head_bytes_) return true;
    fail(ParseError::head_too_large,
         "header section exceeds " + std::to_string(max_head_bytes_) + " bytes");
    return false;
  }

  // http_parser reports a name or value in as many pieces as the input was
  // split into; a name piece after a value piece starts the next field.
  int on_field_name(std::string_view piece) {
    if (last_ != Piece::name) {
      if (int rc = commit_field()) return rc;
      if (++fields_ > max_fields_) {
        return fail(ParseError::too_many_headers,
                    "more than " + std::to_string(max_fields_) + " header fields");
      }
    }
    last_ = Piece::name;
    if (head_done_) return count_trailer(piece);
    name_.append(piece);
    return 0;
  }

  int on_field_value(std::string_view piece) {
    if (last_ == Piece::name) value_.clear();
    last_ = Piece::value;
    if (head_done_) return count_trailer(piece);
    value_.append(piece);
    return 0;
  }

  // Trailer fields are dropped, and get an allowance of max_head_bytes of
  // their own: head_bytes_ is exact only when the head ended where a piece
  // did (http_parser reads on past it in the same call, body and trailers
  // included), so adding it would judge the same bytes differently
  // depending on how they arrived.
  int count_trailer(std::string_view piece) {
    trailer_bytes_ += piece.size();
    if (trailer_bytes_ > max_head_bytes_) {
      return fail(ParseError::head_too_large, "trailer section too large");
    }
    return 0;
  }

  int commit_field() {
    if (last_ == Piece::none || head_done_) return 0;
    last_ = Piece::none;
    // RFC 9112 5.1: a server MUST reject whitespace between name and colon;
    // a client may strip it.
    if (!reject_space_before_colon_) trim_trailing_ows(name_);
    if (!detail::is_token(name_)) return fail(ParseError::malformed, "invalid header field name");
    // RFC 9112 5: OWS around the value is not part of it (http_parser drops
    // the leading part).
    trim_trailing_ows(value_);
    if (!is_field_value(value_)) return fail(ParseError::malformed, "invalid header field value");
    // A typical head has 8-16 fields of a few hundred bytes: one allocation
    // each for the fields and their text, not several doublings.
    Headers& headers = fields();
    if (headers.empty()) headers.reserve(16, 512);
    headers.add(name_, value_);
    name_.clear();
    value_.clear();
    return 0;
  }

  int headers_complete() {
    if (int rc = commit_field()) return rc;
    head_done_ = true;
    return on_head(fields());
  }

  int message_complete() {
    http_parser_pause(&parser_, 1);
    return on_message_complete();
  }

  // C callbacks: nothing may unwind through http_parser.
  template <int (MessageParser::*Hook)(std::string_view)>
  static int data_callback(http_parser* p, const char* at, std::size_t length) {
    auto* self = static_cast<MessageParser*>(p->data);
    try {
      return (self->*Hook)(std::string_view(at, length));
    } catch (...) {
      return self->out_of_memory();
    }
  }
  template <int (MessageParser::*Hook)()>
  static int notify_callback(http_parser* p) {
    auto* self = static_cast<MessageParser*>(p->data);
    try {
      return (self->*Hook)();
    } catch (...) {
      return self->out_of_memory();
    }
  }
  int url(std::string_view piece) { return on_url(piece); }
  int status(std::string_view piece) { return on_status(piece); }
  int body(std::string_view piece) { return on_body(piece); }

  static http_parser_settings make_settings() {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_url = &data_callback<&MessageParser::url>;
    s.on_status = &data_callback<&MessageParser::status>;
    s.on_header_field = &data_callback<&MessageParser::on_field_name>;
    s.on_header_value = &data_callback<&MessageParser::on_field_value>;
    s.on_body = &data_callback<&MessageParser::body>;
    s.on_headers_complete = &notify_callback<&MessageParser::headers_complete>;
    s.on_message_complete = &notify_callback<&MessageParser::message_complete>;
    return s;
  }
  static const http_parser_settings& settings() {
    static const http_parser_settings instance = make_settings();
    return instance;
  }

  enum class Piece { none, name, value };

  http_parser_type type_;
  std::size_t max_head_bytes_;
  std::size_t max_fields_;
  bool reject_space_before_colon_;
  ParseState state_ = ParseState::need_more;
  ParseError error_ = ParseError::none;
  std::string message_;
  bool head_done_ = false;
  std::string name_;
  std::string value_;
  Piece last_ = Piece::none;
  std::size_t fields_ = 0;
  std::size_t trailer_bytes_ = 0;
};

}  // namespace

// ---------------------------------------------------------------- requests

class RequestParser::Impl final : public MessageParser {
 public:
  explicit Impl(Options options)
      : MessageParser(HTTP_REQUEST, options.max_header_bytes, options.max_header_count, true),
        options_(options) {}

  std::size_t parse(std::string_view data) noexcept {
    try {
      if (state() == ParseState::complete) reset();
      if (at_message_start()) {
        const detail::SimpleRequest simple = detail::parse_simple_request(data, options_, request_);
        if (simple.head_size != 0) {
          keep_alive_ = simple.keep_alive;
          upgrade_ = simple.upgrade;
          complete_without_parser(simple.head_size);
          return simple.head_size;
        }
      }
      return execute(data);
    } catch (...) {
      out_of_memory();
      return 0;
    }
  }

  void reset() {
    reset_all();
    // Member by member: assigning a fresh Request builds and destroys one
    // (take() and the server's parser pool reset once per request).
    request_.method.clear();
    request_.target.clear();
    request_.version_major = 1;
    request_.version_minor = 1;
    request_.headers.clear();
    request_.body.clear();
    request_.remote_address.clear();
    request_.secure = false;
    request_.connection.reset();
    keep_alive_ = false;
    upgrade_ = false;
  }

  Request request_;
  bool keep_alive_ = false;
  bool upgrade_ = false;

 private:
  Headers& fields() override { return request_.headers; }

  int on_url(std::string_view piece) override {
    if (request_.target.size() + piece.size() > options_.max_target_length) {
      return fail(
          ParseError::target_too_long,
          "request-target exceeds " + std::to_string(options_.max_target_length) + " bytes");
    }
    request_.target.append(piece);
    return 0;
  }

  int on_head(Headers& headers) override {
    request_.method = http_method_str(static_cast<http_method>(parser_.method));
    request_.version_major = parser_.http_major;
    request_.version_minor = parser_.http_minor;
    if (parser_.http_major != 1) {
      return fail(ParseError::unsupported_version, "only HTTP/1.x is supported");
    }
    // RFC 9112 3.2: a fragment is never sent and the target has no controls
    // or spaces (http_parser lets some through when not strict).
    for (char ch : request_.target) {
      auto c = static_cast<unsigned char>(ch);
      if (c <= 0x20 || c == 0x7f || c == '#') {
        return fail(ParseError::malformed, "invalid character in request-target");
      }
    }
    // RFC 9112 3.2: HTTP/1.1 needs exactly one Host; more is always an error.
    std::size_t hosts = 0;
    for (const auto& field : headers) hosts += iequals(field.first, "Host") ? 1 : 0;
    if (hosts > 1 || (hosts == 0 && parser_.http_minor >= 1)) {
      return fail(ParseError::malformed, hosts ? "more than one Host field" : "missing Host field");
    }
    if (parser_.upgrade) return 2;  // the bytes after the head are not HTTP
    if ((parser_.flags & F_CONTENTLENGTH) && parser_.content_length > options_.max_body_size) {
      return body_too_large();
    }
    return 0;
  }

  int on_body(std::string_view piece) override {
    if (request_.body.size() + piece.size() > options_.max_body_size) return body_too_large();
    request_.body.append(piece);
    return 0;
  }

  int on_message_complete() override {
    upgrade_ = parser_.upgrade;
    keep_alive_ = !upgrade_ && http_should_keep_alive(&parser_);
    set_complete();
    return 0;
  }

  int body_too_large() {
    return fail(ParseError::body_too_large,
                "body exceeds " + std::to_string(options_.max_body_size) + " bytes");
  }

  Options options_;
};

RequestParser::RequestParser() : RequestParser(Options{}) {}
RequestParser::RequestParser(Options options) : impl_(std::make_unique<Impl>(options)) {}
RequestParser::RequestParser(RequestParser&&) noexcept = default;
RequestParser& RequestParser::operator=(RequestParser&&) noexcept = default;
RequestParser::~RequestParser() = default;

std::size_t RequestParser::parse(std::string_view data) noexcept {
  return impl_->parse(data);
}
ParseState RequestParser::state() const noexcept {
  return impl_->state();
}
bool RequestParser::head_complete() const noexcept {
  return impl_->head_done();
}
const Request& RequestParser::request() const noexcept {
  return impl_->request_;
}
void RequestParser::reset() {
  impl_->reset();
}
bool RequestParser::keep_alive() const noexcept {
  return impl_->keep_alive_;
}
bool RequestParser::upgrade() const noexcept {
  return impl_->upgrade_;
}
ParseError RequestParser::error() const noexcept {
  return impl_->error();
}
std::string_view RequestParser::error_message() const noexcept {
  return impl_->error_message();
}

Request RequestParser::take() {
  Request request = std::move(impl_->request_);
  impl_->reset();
  return request;
}

int RequestParser::error_status() const noexcept {
  switch (impl_->error()) {
    case ParseError::none:
      return 0;
    case ParseError::malformed:
      return 400;
    case ParseError::head_too_large:
      return 431;
    case ParseError::too_many_headers:
      return 431;
    case ParseError::target_too_long:
      return 414;
    case ParseError::body_too_large:
      return 413;
    case ParseError::unsupported_version:
      return 505;
    case ParseError::out_of_memory:
      return 500;
  }
  return 400;
}

// --------------------------------------------------------------- responses

class ResponseParser::Impl final : public MessageParser {
 public:
  explicit Impl(Options options)
      : MessageParser(HTTP_RESPONSE, options.max_head_bytes, options.max_header_count, false) {}

  std::size_t parse(std::string_view data) noexcept {
    try {
      return execute(data);
    } catch (...) {
      out_of_memory();
      return 0;
    }
  }

  void reset() {
    reset_all();
    head_ = ResponseHead{};
    interim_ = false;
  }

  std::size_t head_size() const noexcept { return head_bytes_; }

  ResponseHead head_;

 private:
  Headers& fields() override { return head_.headers; }

  int on_status(std::string_view piece) override {
    head_.reason.append(piece);
    return 0;
  }

  int on_head(Headers&) override {
    head_.version_major = parser_.http_major;
    head_.version_minor = parser_.http_minor;
    head_.status = parser_.status_code;
    if (parser_.http_major != 1) {
      return fail(ParseError::unsupported_version, "only HTTP/1.x is supported");
    }
    return 2;  // never read a body: what follows is the upgraded stream
  }

  int on_message_complete() override {
    // RFC 9110 15.2: a client must accept interim responses before the final
    // one; 101 is final for our purpose (the protocol changes after it).
    interim_ = head_.status >= 100 && head_.status < 200 && head_.status != 101;
    if (!interim_) set_complete();
    return 0;
  }

  void after_message() override {
    if (!interim_) return;
    interim_ = false;
    head_ = ResponseHead{};
    restart();
  }

  bool interim_ = false;
};

ResponseParser::ResponseParser() : ResponseParser(Options{}) {}
ResponseParser::ResponseParser(Options options) : impl_(std::make_unique<Impl>(options)) {}
ResponseParser::ResponseParser(ResponseParser&&) noexcept = default;
ResponseParser& ResponseParser::operator=(ResponseParser&&) noexcept = default;
ResponseParser::~ResponseParser() = default;

std::size_t ResponseParser::parse(std::string_view data) noexcept {
  return impl_->parse(data);
}
ParseState ResponseParser::state() const noexcept {
  return impl_->state();
}
const ResponseHead& ResponseParser::head() const noexcept {
  return impl_->head_;
}
void ResponseParser::reset() {
  impl_->reset();
}
std::size_t ResponseParser::head_size() const noexcept {
  return impl_->head_size();
}
ParseError ResponseParser::error() const noexcept {
  return impl_->error();
}
std::string_view ResponseParser::error_message() const noexcept {
  return impl_->error_message();
}

ResponseHead ResponseParser::take() {
  ResponseHead head = std::move(impl_->head_);
  impl_->reset();
  return head;
}

}  // namespace faye::http
