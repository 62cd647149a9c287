// The machinery behind faye::WebSocket: ties a protocol driver (bytes <->
// events) to a net::Connection (socket <-> bytes) and turns driver events
// into the browser API's events. Loop thread only; websocket.cpp does the
// cross-thread posting.
#pragma once

#include <atomic>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "faye/driver/client.hpp"
#include "faye/driver/driver.hpp"
#include "faye/driver/hybi.hpp"
#include "faye/net/connection.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/net/timer.hpp"
#include "faye/websocket.hpp"
#include "shared_url.hpp"

namespace faye {

class WebSocket::Core : private driver::Handler,
                        private net::Connection::Handler,
                        private net::BasicTimer {
 public:
  // Keeps only what the socket needs after the handshake (ping, close
  // timeout, write cap): a copy of the whole options per connection would
  // cost every idle socket its protocols, headers and extension list.
  Core(net::EventLoop& loop, const Options& options);
  ~Core() override;

  // The socket keeps itself (`self`, its own Block) alive from its creation
  // until onclose: the loop holds no other reference to it.
  void keep_alive(std::shared_ptr<WebSocket> self);
  // For a call from another thread, to post: the socket, or null once it has
  // finished (then there is nothing left to do on the loop).
  std::shared_ptr<WebSocket> alive() const { return keep_alive_.load(std::memory_order_acquire); }
  // Binds the socket to its transport and driver; begin() then runs on the
  // loop in a later turn, once the application has set its handlers.
  void attach(std::shared_ptr<net::Connection> connection, std::size_t max_buffered_amount);
  // The server-side driver for `request` (draft-75, draft-76 or hybi).
  void accept(const http::Request& request, const Options& options);
  // Starts the handshake, feeds `early` bytes (read with the request head),
  // and starts (or resumes) reading.
  void begin(std::string early, bool connection_started);
  // Client sockets, once the transport is up: send the handshake, with a
  // deadline for the answer.
  void start_client(const http::Url& url, driver::ClientOptions options,
                    std::chrono::milliseconds handshake_timeout);
  // Client sockets whose connection attempt failed before a driver existed.
  void fail_connecting(std::error_code error, std::string message);

  bool send_text(std::string_view text, bool compress = true);
  bool send_binary(Bytes bytes, bool compress = true);
  bool ping(std::string_view payload, std::function<void()> on_pong);
  void close(std::uint16_t code, std::string_view reason);

  ReadyState state() const { return state_.load(std::memory_order_acquire); }
  std::size_t buffered_amount() const;
  // The timer's loop: the socket's, kept once.
  using net::BasicTimer::loop;

  // Bytes of cross-thread sends posted to the loop but not yet written.
  std::atomic<std::size_t> in_flight{0};

  // Written once before the socket is handed to the application, then read-only.
  // The URL is the concatenation of `parts` (shared with the thread's
  // previous socket when equal).
  void set_url(std::initializer_list<std::string_view> parts) {
    url_ = detail::SharedUrl::make(parts);
  }
  std::string_view url() const { return url_.view(); }
  // "hybi-13" for a client (any thread). A server's driver exists before the
  // socket is handed to the application and never changes.
  std::string_view version() const;
  // Client sockets: before the socket is handed to the application.
  void mark_client() noexcept { client_ = true; }

  // What the handshake agreed, "" before open. Any thread: the driver writes
  // them before open, and opened_ publishes them.
  std::string protocol() const;
  std::string extensions() const;

 private:
  // driver::Handler
  void write(Bytes bytes) override;
  void write_in_place(std::size_t size, Fill fill, const void* context) override;
  void on_open() override;
  void on_message(const driver::Message& message) override;
  void on_close(std::uint16_t code, std::string_view reason) override;
  void on_error(std::error_code error, std::string_view message) override;
  // net::Connection::Handler
  void on_data(MutableBytes data) override;
  void on_drain() override;
  void on_closed(std::error_code error) override;
  // A server stopping gracefully: goodbye, once (see net/shutdown.hpp).
  void on_shutdown() override;
  // net::BasicTimer: the deadline of timer_purpose_ has passed.
  void on_timer() override;
  // Client sockets: the connection attempt is over, with a transport
  // (`cancel` false) or abandoned by close(). A virtual hook, so that only
  // a client's Block holds the attempt (and pays its 16 bytes).
  virtual void end_connecting(bool /*cancel*/) {}

  // One timer for the phase at hand, never two at once: the client's
  // handshake deadline (connecting), the automatic ping (open), the close
  // timeout (closing). A base class rather than a net::Timer member: no
  // std::function per socket.
  enum class TimerPurpose : std::uint8_t { handshake, ping, close };
  void start_timer_for(TimerPurpose purpose, net::BasicTimer::Duration delay);

  void sync_state();
  void schedule_ping();
  void report_error(std::error_code error, std::string_view message);
  // Fires onclose once, closes the transport, drops the handlers and the
  // keep-alive reference.
  void finish(std::uint16_t code, std::string_view reason, bool was_clean);

  // Milliseconds in 32 bits (49 days) are plenty for a ping or a timeout.
  using Millis = std::chrono::duration<std::uint32_t, std::milli>;

  // The socket this Core belongs to: the other half of its Block.
  WebSocket& owner() noexcept;
  // driver_ when it speaks RFC 6455 (extensions apply), else null.
  driver::Hybi* hybi() const noexcept {
    return speaks_hybi_ ? static_cast<driver::Hybi*>(driver_.get()) : nullptr;
  }

  detail::SharedUrl url_;  // a pointer, not a 32-byte std::string
  Millis ping_interval_;
  Millis close_timeout_;
  std::shared_ptr<net::Connection> connection_;
  std::unique_ptr<driver::Driver> driver_;
  // Set once at creation, taken by finish(). Atomic because another
  // thread's send() copies it (instead of a weak self-reference in every
  // socket, as std::enable_shared_from_this would add).
  std::atomic<std::shared_ptr<WebSocket>> keep_alive_;
  std::atomic<std::size_t> buffered_{0};
  std::atomic<ReadyState> state_{ReadyState::connecting};
  std::atomic<bool> opened_{false};  // the handshake succeeded
  bool client_ = false;    // made by WebSocket::Client::connect (read from any thread)
  TimerPurpose timer_purpose_ = TimerPurpose::ping;
  // Loop thread only, so they may share a byte: with it, the small fields
  // fit in the 8 bytes after buffered_.
  bool failed_ : 1 = false;       // an error event has fired
  bool finished_ : 1 = false;     // onclose has fired
  bool speaks_hybi_ : 1 = false;  // driver_ is a driver::Hybi
  bool said_goodbye_ : 1 = false;  // on_shutdown() has run
  std::uint16_t pings_sent_ = 0;  // automatic pings, numbered (wrapping) in their payload
};

// A socket, its Core and the shared_ptr's control block in a single
// allocation (std::make_shared), destroyed together when the last owner goes:
// the Core first, then the WebSocket and its handlers. A client's adds its
// connection attempt (client.cpp).
class WebSocket::Block : public WebSocket, public WebSocket::Core {
 public:
  Block(net::EventLoop& loop, const Options& options) : WebSocket::Core(loop, options) {}

  static std::shared_ptr<WebSocket> create(net::EventLoop& loop, const Options& options) {
    auto block = std::make_shared<Block>(loop, options);
    block->keep_alive(block);
    return block;
  }
};

inline WebSocket& WebSocket::Core::owner() noexcept {
  return static_cast<Block&>(*this);
}

inline WebSocket::Core& WebSocket::core() const noexcept {
  // Every WebSocket is made as a Block; its Core is mutable state behind
  // the const accessors (ready_state(), buffered_amount(), ...).
  return static_cast<Block&>(const_cast<WebSocket&>(*this));
}

}  // namespace faye
