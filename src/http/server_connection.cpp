#include "server_connection.hpp"

#include <cstdio>
#include <ctime>
#include <utility>

#include "chars.hpp"
#include "faye/net/event_loop.hpp"

namespace faye::http::detail {
namespace {

// The application is trusted, but it often copies request data into its
// response: a CR or LF there would let a client inject fields or a whole
// response (RFC 9110 5.5: field values carry no CR, LF or NUL).
bool is_safe_head(const Response& response) {
  for (const auto& [name, value] : response.headers) {
    if (!is_token(name)) return false;
    for (char c : value) {
      if (c == '\r' || c == '\n' || c == '\0') return false;
    }
  }
  return true;
}

Response error_response(int status, std::string_view message) {
  Response response{status, {{"Content-Type", "text/plain; charset=utf-8"}}, {}};
  response.body.append(reason_phrase(status)).append(": ").append(message).append("\n");
  return response;
}

}  // namespace

void ServerConnectionList::insert(std::shared_ptr<ServerConnection> connection) noexcept {
  ServerConnection& c = *connection;
  c.listed_ = std::move(connection);
  c.next_listed_ = head_;
  if (head_) head_->prev_listed_ = &c;
  head_ = &c;
}

std::shared_ptr<ServerConnection> ServerConnectionList::remove(ServerConnection& c) noexcept {
  if (!c.listed_) return nullptr;
  if (c.prev_listed_) {
    c.prev_listed_->next_listed_ = c.next_listed_;
  } else {
    head_ = c.next_listed_;
  }
  if (c.next_listed_) c.next_listed_->prev_listed_ = c.prev_listed_;
  c.next_listed_ = c.prev_listed_ = nullptr;
  return std::move(c.listed_);
}

std::vector<std::shared_ptr<ServerConnection>> ServerConnectionList::snapshot() const {
  std::vector<std::shared_ptr<ServerConnection>> all;
  for (ServerConnection* c = head_; c; c = c->next_listed_) all.push_back(c->listed_);
  return all;
}

void ServerConnectionList::clear() noexcept {
  while (head_) remove(*head_);
}

const std::string& http_date() {
  thread_local std::time_t cached_second = -1;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    // Formatted by hand: strftime's %a and %b follow the C locale, which an
    // application may have changed; RFC 9110 5.6.7 wants the English names.
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    cached.assign(buffer);
    cached_second = now;
  }
  return cached;
}

ServerConnection::ServerConnection(ConnectionOwner& owner,
                                   std::shared_ptr<net::Connection> connection,
                                   std::string remote_address)
    : net::BasicTimer(connection->loop()),
      owner_(owner),
      connection_(std::move(connection)),
      remote_address_(std::move(remote_address)) {
  if (remote_address_.empty()) remote_address_ = connection_->remote_endpoint();
}

ServerConnection::~ServerConnection() {
  if (connection_) {
    connection_->set_handler(nullptr);
    if (connection_->is_open()) connection_->abort();
  }
}

void ServerConnection::start() {
  connection_->set_handler(this);
  // A client that connects and sends nothing gets request_timeout, not the
  // longer keep-alive allowance: it has not earned it.
  arm_idle_timer(config().request_timeout);
  connection_->start();
}

void ServerConnection::shutdown() {
  if (closing_ || detached_) return;
  // RFC 9112 9.6: a server closing a persistent connection between requests
  // just closes it; a request in flight is answered first, with "close".
  if (!in_request_ && !held_back_ && input_.empty()) close();
}

void ServerConnection::abort() {
  if (!connection_ || detached_) return;
  closing_ = true;
  cancel_timer();
  connection_->abort();
}

bool ServerConnection::finished() const noexcept {
  return !connection_ || (!connection_->is_open() && connection_->buffered_amount() == 0);
}

// ---- Input --------------------------------------------------------------------

void ServerConnection::on_data(MutableBytes data) {
  if (closing_ || detached_) return;
  // Nothing may unwind into the loop: running out of memory here costs this
  // connection only.
  try {
    if (held_back_) {
      input_.append(as_text(data));
      return;
    }
    consume(as_text(data));
    after_processing();
  } catch (...) {
    abort();
  }
}

void ServerConnection::consume(std::string_view data) {
  const std::size_t used = process(data);
  if (!closing_ && !detached_ && used < data.size()) input_.assign(data.substr(used));
}

std::size_t ServerConnection::process(std::string_view data) {
  std::size_t used = 0;
  while (used < data.size() && !closing_ && !detached_) {
    if (!in_request_) {
      // Pipelining (RFC 9112 9.3.2): responses go out in request order, and
      // a client that sends requests faster than it reads the responses must
      // not make them pile up here: leave the rest unread until they drain.
      if (connection_->buffered_amount() > config().max_pending_output) {
        pause_for_output();
        break;
      }
      in_request_ = true;
      head_handled_ = false;
      // The whole request must arrive within request_timeout of its first
      // byte; trickling bytes never extends it.
      arm_request_timer();
    }
    const std::size_t n = parser().parse(data.substr(used));
    used += n;
    if (parser().failed()) {
      fail(parser().error_status(), parser().error_message());
      break;
    }
    if (!head_handled_ && parser().head_complete() && !handle_expectation()) break;
    if (!parser().complete()) {
      // Waiting for more: the parser took everything it was given.
      if (n == 0) fail(400, "unparsable input");
      break;
    }
    in_request_ = false;
    cancel_timer();
    if (parser().upgrade()) {
      upgrade(data.substr(used));
      return data.size();
    }
    serve();
  }
  return used;
}

bool ServerConnection::handle_expectation() {
  head_handled_ = true;
  const Request& request = parser().request();
  const auto expect = request.headers.get_all("Expect");
  // RFC 9110 10.1.1: an HTTP/1.0 client cannot know the expectation
  // mechanism, so the field is ignored in its requests.
  if (!expect || (request.version_major == 1 && request.version_minor == 0)) return true;
  // 100-continue is the only expectation defined; anything else may be
  // refused with 417. The body (if any) then stays unread: close.
  for (std::string_view element : split_list(*expect)) {
    if (!iequals(element, "100-continue")) {
      fail(417, "unsupported expectation");
      return false;
    }
  }
  // RFC 9110 10.1.1: the client waits for 100 before sending the body; it
  // is pointless once body bytes have arrived or the request is whole.
  if (!parser().complete() && request.body.empty()) {
    connection_->write(std::string_view("HTTP/1.1 100 Continue\r\n\r\n"));
  }
  return true;
}

// ---- Requests -----------------------------------------------------------------

void ServerConnection::serve() {
  const bool requested_keep_alive = parser().keep_alive();
  Request request = parser().take();
  const bool head_only = request.method == "HEAD";
  const bool http10 = request.version_minor == 0;
  auto response = call_application(request, false);
  if (!response) return;
  // RFC 9112 9.3: persistence is decided by the request; a server that is
  // stopping (even since the application was called) ends the connection
  // after this response and says so (RFC 9112 9.6).
  respond(std::move(*response), requested_keep_alive && !owner_.stopping(), head_only, http10);
}

void ServerConnection::upgrade(std::string_view rest) {
  // The bytes after the head belong to the new protocol (a draft-76 key3,
  // early WebSocket frames): stop reading so that its owner gets them all,
  // those already here through request.body, the rest by resuming reading.
  connection_->pause_reading();
  Request request = parser().take();
  request.body.assign(rest);
  input_.clear();
  const bool head_only = request.method == "HEAD";
  const bool http10 = request.version_minor == 0;
  auto response = call_application(request, true);
  // No more requests on this connection.
  owner_.give_back(std::move(*parser_));
  parser_.reset();
  if (!response) return;
  // Answered in HTTP instead (RFC 9110 7.8 lets a server ignore Upgrade):
  // what follows the head is of unknown framing, so the connection ends.
  respond(std::move(*response), false, head_only, http10);
}

std::optional<Response> ServerConnection::call_application(Request& request, bool upgrade) {
  request.remote_address = remote_address_;
  request.secure = connection_->is_secure();
  request.connection = connection_;
  // A new owner installs its own handler during the call; the connection
  // never calls its handler synchronously, so detaching first loses nothing
  // and re-attaching afterwards can't overwrite the new owner's.
  connection_->set_handler(nullptr);
  std::optional<Response> response;
  try {
    response = config().application(request);
  } catch (...) {
    response.reset();
  }
  // Moving request.connection out (WebSocket::accept) is taking it over,
  // whatever the application returned.
  const bool taken = request.connection != connection_;
  request.connection.reset();
  if (taken || (response && response->is_hijacked())) {
    detach(upgrade);
    return std::nullopt;
  }
  connection_->set_handler(this);
  if (!response) return error_response(500, "the application failed");
  return response;
}

void ServerConnection::respond(Response response, bool keep_alive, bool head_only, bool http10) {
  // RFC 9110 15: a final status is 200..599 (1xx are interim, and 101 is
  // only for a connection the application takes over).
  if (response.status < 200 || response.status > 599 || !is_safe_head(response)) {
    response = error_response(500, "the application returned an invalid response");
  }
  const bool close_after = !keep_alive || response.headers.has_token("Connection", "close");
  if (close_after) {
    // RFC 9112 9.6: a server that will close says so.
    response.headers.set("Connection", "close");
  } else if (http10) {
    // RFC 9112 C.2.2: an HTTP/1.0 connection persists only when the response
    // says keep-alive too.
    response.headers.set("Connection", "keep-alive");
  }
  // RFC 9110 6.6.1: an origin server with a clock sends Date.
  if (!response.headers.contains("Date")) response.headers.add("Date", http_date());
  if (!config().server_name.empty() && !response.headers.contains("Server")) {
    response.headers.add("Server", config().server_name);
  }
  // RFC 9110 9.3.2 and 6.4.1: no content in a response to HEAD, nor in 204
  // and 304; the head still says what GET would have sent.
  const bool bodiless = head_only || response.status == 204 || response.status == 304;
  bool ok = connection_->write(response.serialize_head());
  if (ok && !bodiless && !response.body.empty()) ok = connection_->write(std::move(response.body));
  if (!ok) {
    // Closed, or the write buffer limit closed it: on_closed follows.
    closing_ = true;
    cancel_timer();
    return;
  }
  if (close_after) close();
}

void ServerConnection::fail(int status, std::string_view message) {
  // RFC 9112 9.6 / RFC 9110 15.5: after a rejected request the framing of
  // whatever follows is unknown, so the connection ends with the response.
  respond(error_response(status, message), false, false, false);
}

// ---- Connection life ------------------------------------------------------------

void ServerConnection::close() {
  if (closing_ || detached_) return;
  closing_ = true;
  cancel_timer();
  input_.clear();
  // Flushes the responses first, then FIN; bounded by the linger timeout.
  connection_->close();
}

void ServerConnection::detach(bool upgraded) {
  detached_ = true;
  cancel_timer();
  input_.clear();
  // An upgraded connection goes over paused (its new owner resumes it once
  // ready); any other goes over reading, even when it was served from input
  // held back while responses drained.
  if (!upgraded && connection_->reading_paused()) connection_->resume_reading();
  connection_.reset();
  owner_.hijacked();
  owner_.release(*this);
}

void ServerConnection::on_closed(std::error_code) {
  closing_ = true;
  cancel_timer();
  input_.clear();
  owner_.release(*this);
}

void ServerConnection::after_processing() {
  if (closing_ || detached_) return;
  if (owner_.stopping() && !in_request_ && !held_back_) {
    close();
    return;
  }
  // Between requests: the keep-alive allowance starts again.
  if (!in_request_ && !held_back_) arm_idle_timer(config().keep_alive_timeout);
}

// ---- Back-pressure ------------------------------------------------------------------

void ServerConnection::pause_for_output() {
  held_back_ = true;
  connection_->pause_reading();
  arm_idle_timer(config().keep_alive_timeout);
  // on_drain comes only after the socket pushed back; the responses of this
  // turn may instead all leave in the flush at its end, so look again after
  // it (posts run in order on the loop's single thread).
  connection_->loop().defer([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->output_drained();
  });
}

void ServerConnection::on_drain() {
  output_drained();
}

void ServerConnection::output_drained() {
  if (!held_back_ || closing_ || detached_) return;
  // Still above the mark: the socket pushed back, on_drain will follow.
  if (connection_->buffered_amount() > config().max_pending_output) return;
  held_back_ = false;
  try {
    const std::string pending = std::move(input_);
    input_.clear();
    consume(pending);
    if (closing_ || detached_) return;
    if (!held_back_) connection_->resume_reading();
    after_processing();
  } catch (...) {
    abort();
  }
}

// ---- Timers ---------------------------------------------------------------------------

void ServerConnection::arm_idle_timer(std::chrono::milliseconds timeout) {
  connection_->take_write_progress();  // progress is judged from now
  request_deadline_ = false;
  start_timer(timeout);
}

void ServerConnection::arm_request_timer() {
  request_deadline_ = true;
  start_timer(config().request_timeout);
}

void ServerConnection::on_timer() {
  if (request_deadline_) {
    on_request_timeout();
  } else {
    on_idle_timeout();
  }
}

void ServerConnection::on_idle_timeout() {
  if (closing_ || detached_) return;
  if (connection_->buffered_amount() > 0) {
    // Responses are still leaving: idle only if the peer has read nothing
    // for a whole period. A peer that stopped reading is dropped (its data
    // would sit in our queue forever).
    if (connection_->take_write_progress()) {
      arm_idle_timer(config().keep_alive_timeout);
    } else {
      abort();
    }
    return;
  }
  // RFC 9112 9.5: an idle persistent connection may be closed at any time,
  // gracefully.
  close();
}

void ServerConnection::on_request_timeout() {
  if (closing_ || detached_) return;
  // RFC 9110 15.5.9: 408 for a request that did not complete in time, and
  // the connection closes.
  fail(408, "the request did not arrive in time");
}

}  // namespace faye::http::detail
