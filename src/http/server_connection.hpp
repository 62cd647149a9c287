// One HTTP/1.1 connection of faye::http::Server: the per-connection state
// machine between net::Connection and the application (private header).
//
// A connection is always in one of these situations:
//   idle        between requests: the idle timer (keep_alive_timeout, or
//               request_timeout before the first request) is armed;
//   in request  bytes of a request have arrived: the request timer runs from
//               the first byte and is never extended (slowloris);
//   held back   pipelined requests wait in `input_` while our responses drain
//               (reading is paused; the idle timer watches write progress);
//   closing     after an error, `Connection: close` or a timeout: input is
//               discarded, net::Connection flushes and closes;
//   detached    the application took the connection over, or it closed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "faye/http/parser.hpp"
#include "faye/http/server.hpp"
#include "faye/net/connection.hpp"
#include "faye/net/timer.hpp"

namespace faye::http::detail {

// What every connection of a server shares; read-only once the server runs.
struct ServerConfig {
  Application application;
  RequestParser::Options parser;
  std::chrono::milliseconds request_timeout;
  std::chrono::milliseconds keep_alive_timeout;
  std::size_t max_pending_output;
  std::string server_name;
};

class ServerConnection;

// The per-loop owner of the connections (the server's worker).
class ConnectionOwner {
 public:
  virtual const ServerConfig& config() const noexcept = 0;
  // stop() was called (from any thread, perhaps while the application
  // runs): answer what is in flight, then close.
  virtual bool stopping() const noexcept = 0;
  // The connection is done with: drop it, but not under the caller's feet.
  virtual void release(ServerConnection& connection) = 0;
  // A parser for a connection's first bytes, and its return once the
  // connection is upgraded: a loop keeps one parser for the next
  // connection, so that a handshake costs no parser of its own.
  virtual RequestParser take_parser() = 0;
  virtual void give_back(RequestParser parser) noexcept = 0;
  // The application took a connection over. The server keeps nothing of it:
  // its loop lists the connection (net::EventLoop::connections()) for a
  // graceful stop to wait for.
  virtual void hijacked() = 0;

 protected:
  ~ConnectionOwner() = default;
};

// The owner's connections, linked through themselves: no node to allocate
// and no hash to compute per connection. The list holds a reference to each.
class ServerConnectionList {
 public:
  ServerConnectionList() = default;
  ServerConnectionList(const ServerConnectionList&) = delete;
  ServerConnectionList& operator=(const ServerConnectionList&) = delete;
  ~ServerConnectionList() { clear(); }

  void insert(std::shared_ptr<ServerConnection> connection) noexcept;
  // The list's reference, unlinked; null when `connection` is not listed.
  std::shared_ptr<ServerConnection> remove(ServerConnection& connection) noexcept;
  // References to all, for calls that may remove some.
  std::vector<std::shared_ptr<ServerConnection>> snapshot() const;
  template <class Predicate>
  bool all_of(Predicate predicate) const;
  void clear() noexcept;

 private:
  ServerConnection* head_ = nullptr;
};

// One deadline at a time (the request's, or the idle allowance between
// requests): a BasicTimer, whose expiry is a virtual call rather than a
// std::function made and destroyed at every start.
class ServerConnection final : public net::Connection::Handler,
                               public std::enable_shared_from_this<ServerConnection>,
                               private net::BasicTimer {
 public:
  // `remote_address` as the listener saw it; empty: asked of the connection.
  ServerConnection(ConnectionOwner& owner, std::shared_ptr<net::Connection> connection,
                   std::string remote_address = {});
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // Sets itself as the handler and starts reading.
  void start();
  // The server is stopping: an idle connection closes now; one with a
  // request in flight closes after answering it.
  void shutdown();
  // The shutdown deadline passed.
  void abort();
  // Nothing left to send and no longer open: a stopping server may end.
  bool finished() const noexcept;

  void on_data(MutableBytes data) override;
  void on_drain() override;
  void on_closed(std::error_code ec) override;

 private:
  // Parses and serves requests from `data`; returns how many bytes it used.
  // Stops early when the connection closes, is taken over, or must wait for
  // its output to drain.
  std::size_t process(std::string_view data);
  // Runs process() and keeps what it left unused in input_.
  void consume(std::string_view data);
  bool handle_expectation();
  void serve();
  void upgrade(std::string_view rest);
  std::optional<Response> call_application(Request& request, bool upgrade);
  void respond(Response response, bool keep_alive, bool head_only, bool http10);
  void fail(int status, std::string_view message);
  void close();
  void detach(bool upgraded);
  void pause_for_output();
  void output_drained();
  void arm_idle_timer(std::chrono::milliseconds timeout);
  void arm_request_timer();
  void on_timer() override;
  void on_idle_timeout();
  void on_request_timeout();
  void after_processing();
  const ServerConfig& config() const noexcept { return owner_.config(); }

  friend class ServerConnectionList;
  std::shared_ptr<ServerConnection> listed_;  // the list's reference to this
  ServerConnection* next_listed_ = nullptr;
  ServerConnection* prev_listed_ = nullptr;
  ConnectionOwner& owner_;
  std::shared_ptr<net::Connection> connection_;
  // Made when the first byte arrives and dropped once the connection is
  // upgraded: a connection that has sent nothing yet (a burst of new ones,
  // or a slowloris) costs no parser, and a burst of upgrades reuses one
  // parser's memory rather than holding one per connection until release.
  std::optional<RequestParser> parser_;
  RequestParser& parser() {
    if (!parser_) parser_.emplace(owner_.take_parser());
    return *parser_;
  }
  bool request_deadline_ = false;  // the timer's purpose: request, else idle
  std::string remote_address_;  // for every request's Request::remote_address
  // Input not parsed yet: only while held back (reading paused), so it never
  // exceeds one read batch.
  std::string input_;
  bool in_request_ = false;
  bool head_handled_ = false;  // the current request's expectations are dealt with
  bool held_back_ = false;
  bool closing_ = false;
  bool detached_ = false;
};

template <class Predicate>
bool ServerConnectionList::all_of(Predicate predicate) const {
  for (const ServerConnection* c = head_; c; c = c->next_listed_) {
    if (!predicate(*c)) return false;
  }
  return true;
}

// The current time as an IMF-fixdate (RFC 9110 5.6.7), computed at most once
// a second per thread.
const std::string& http_date();

}  // namespace faye::http::detail
