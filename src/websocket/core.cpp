#include "core.hpp"

#include <algorithm>
#include <limits>

#include "faye/driver/server.hpp"
#include "faye/error.hpp"

namespace faye {

namespace {

// Clamped to [0, 2^32 - 1] milliseconds.
std::chrono::duration<std::uint32_t, std::milli> to_millis(std::chrono::milliseconds value) {
  constexpr std::chrono::milliseconds::rep most = std::numeric_limits<std::uint32_t>::max();
  return std::chrono::duration<std::uint32_t, std::milli>(
      static_cast<std::uint32_t>(std::clamp<std::chrono::milliseconds::rep>(value.count(), 0, most)));
}

// Makes the compiler hold `value` in a general register here, so that it is
// loaded on its own rather than merged with its neighbour into one wider load.
template <class T>
inline void keep_in_register(T& value) {
#if defined(__GNUC__)
  asm("" : "+r"(value));
#endif
}

}  // namespace

WebSocket::Core::Core(net::EventLoop& loop, const Options& options)
    : net::BasicTimer(loop),
      ping_interval_(to_millis(options.ping)),
      close_timeout_(to_millis(options.close_timeout)) {}

WebSocket::Core::~Core() {
  // A finished Core touches nothing of the loop's: its last owner may be on
  // any thread. One that never finished is destroyed on the loop (the loop
  // holds an open socket until onclose).
  if (connection_ && !finished_) {
    connection_->set_handler(nullptr);
    if (connection_->is_open()) connection_->abort();
  }
}

void WebSocket::Core::attach(std::shared_ptr<net::Connection> connection,
                             std::size_t max_buffered_amount) {
  connection_ = std::move(connection);
  connection_->set_handler(this);
  connection_->set_write_buffer_limit(max_buffered_amount);
}

void WebSocket::Core::accept(const http::Request& request, const Options& options) {
  const driver::ServerSettings settings(options.protocols, options.headers, options.max_length,
                                        options.extensions);
  driver_ = driver::accept(request, *this, settings);
  speaks_hybi_ = dynamic_cast<driver::Hybi*>(driver_.get()) != nullptr;
}

void WebSocket::Core::begin(std::string early, bool connection_started) {
  if (finished_) return;
  driver_->start();
  sync_state();
  if (!early.empty() && !finished_) driver_->parse(early);
  if (finished_) return;
  if (connection_started) {
    connection_->resume_reading();
  } else {
    connection_->start();
  }
}

void WebSocket::Core::keep_alive(std::shared_ptr<WebSocket> self) {
  keep_alive_.store(std::move(self), std::memory_order_release);
}

void WebSocket::Core::start_client(const http::Url& url, driver::ClientOptions options,
                                   std::chrono::milliseconds handshake_timeout) {
  end_connecting(/*cancel=*/false);
  driver::Handler& handler = *this;
  auto client = std::make_unique<driver::Client>(url, handler, std::move(options));
  speaks_hybi_ = true;
  driver_ = std::move(client);
  start_timer_for(TimerPurpose::handshake, handshake_timeout);
  begin({}, /*connection_started=*/false);
}

void WebSocket::Core::fail_connecting(std::error_code error, std::string message) {
  report_error(error, message);
  finish(driver::close_code::abnormal, "", false);
}

// ---- Sending (loop thread) ----------------------------------------------------

bool WebSocket::Core::send_text(std::string_view text, bool compress) {
  if (!driver_ || state() != ReadyState::open) return false;
  driver::Hybi* hybi = this->hybi();
  return hybi ? hybi->text(text, compress) : driver_->text(text);
}

bool WebSocket::Core::send_binary(Bytes bytes, bool compress) {
  if (!driver_ || state() != ReadyState::open) return false;
  driver::Hybi* hybi = this->hybi();
  return hybi ? hybi->binary(bytes, compress) : driver_->binary(bytes);
}

bool WebSocket::Core::ping(std::string_view payload, std::function<void()> on_pong) {
  if (!driver_ || state() != ReadyState::open) return false;
  return driver_->ping(as_bytes(payload), std::move(on_pong));
}

void WebSocket::Core::close(std::uint16_t code, std::string_view reason) {
  if (finished_) return;
  if (!driver_) {
    // A client still connecting: abandon the attempt (HTML: "fail the
    // WebSocket connection").
    end_connecting(/*cancel=*/true);
    finish(driver::close_code::abnormal, "", false);
    return;
  }
  ReadyState before = driver_->ready_state();
  if (before == ReadyState::closing) return;
  if (!driver_->close(code, reason)) return;
  sync_state();
  if (!finished_ && driver_->ready_state() == ReadyState::closing) {
    // RFC 6455 7.1.1: don't wait forever for the peer's close frame (this
    // replaces the automatic ping, which only runs while open).
    start_timer_for(TimerPurpose::close, close_timeout_);
  }
}

std::string_view WebSocket::Core::version() const {
  if (client_) return "hybi-13";  // what driver::Client speaks (RFC 6455)
  return driver_ ? driver_->version() : std::string_view();
}

std::string WebSocket::Core::protocol() const {
  if (!opened_.load(std::memory_order_acquire)) return {};
  return driver_->protocol();
}

std::string WebSocket::Core::extensions() const {
  if (!opened_.load(std::memory_order_acquire)) return {};
  return driver_->extensions();
}

std::size_t WebSocket::Core::buffered_amount() const {
  std::size_t queued = in_flight.load(std::memory_order_relaxed);
  if (connection_ && loop().on_loop_thread()) return queued + connection_->buffered_amount();
  return queued + buffered_.load(std::memory_order_relaxed);
}

// ---- Driver events --------------------------------------------------------------

void WebSocket::Core::on_open() {
  opened_.store(true, std::memory_order_release);
  cancel_timer();  // the handshake deadline
  sync_state();
  schedule_ping();
  if (owner().onopen) owner().onopen(OpenEvent{});
}

void WebSocket::Core::on_message(const driver::Message& message) {
  if (!finished_ && owner().onmessage) {
    // The view's pointer and size are read one by one, as the driver has
    // just stored them: one 16-byte load of the pair (how compilers copy a
    // span) would wait for both stores to reach the cache instead of taking
    // them from the store buffer, a stall measured at ~5% of the CPU time
    // of a small-message echo.
    const std::uint8_t* data = message.data.data();
    std::size_t size = message.data.size();
    keep_in_register(data);
    keep_in_register(size);
    owner().onmessage(MessageEvent{MessageData(Bytes(data, size), message.is_text())});
  }
}

void WebSocket::Core::on_error(std::error_code error, std::string_view message) {
  report_error(error, message);
}

void WebSocket::Core::on_close(std::uint16_t code, std::string_view reason) {
  // A connection that never opened reports 1006, as browsers do; the error
  // event before it says why.
  if (!opened_.load(std::memory_order_relaxed)) {
    return finish(driver::close_code::abnormal, "", false);
  }
  finish(code, reason, !failed_);
}

void WebSocket::Core::write(Bytes bytes) {
  if (!connection_) return;
  connection_->write(bytes);
  buffered_.store(connection_->buffered_amount(), std::memory_order_relaxed);
}

void WebSocket::Core::write_in_place(std::size_t size, Fill fill, const void* context) {
  if (!connection_) return;
  connection_->write_in_place(size, [fill, context](std::uint8_t* at) { fill(at, context); });
  buffered_.store(connection_->buffered_amount(), std::memory_order_relaxed);
}

// ---- Transport events -------------------------------------------------------------

void WebSocket::Core::on_data(MutableBytes data) {
  driver_->parse(data);
  sync_state();
}

void WebSocket::Core::on_drain() {
  buffered_.store(0, std::memory_order_relaxed);
  if (!finished_ && owner().ondrain) owner().ondrain();
}

void WebSocket::Core::on_closed(std::error_code error) {
  if (finished_) return;
  if (error == Error::write_buffer_full) {
    report_error(error, "the peer is not reading: more than " +
                            std::to_string(connection_->write_buffer_limit()) +
                            " bytes are waiting to be sent");
  } else if (error) {
    report_error(Error::connection_reset,
                 "connection closed without a close frame (" + error.message() + ")");
  } else {
    report_error(Error::connection_reset, "connection closed without a close frame");
  }
  finish(driver::close_code::abnormal, "", false);
}

// RFC 6455 7.4.1: 1001 Going Away.
void WebSocket::Core::on_shutdown() {
  if (said_goodbye_ || finished_) return;
  said_goodbye_ = true;
  if (state() == ReadyState::connecting) {
    if (connection_) connection_->abort();
    finish(driver::close_code::going_away, "server shutting down", false);
  } else {
    close(driver::close_code::going_away, "server shutting down");
  }
}

void WebSocket::Core::on_timer() {
  switch (timer_purpose_) {
    case TimerPurpose::ping:
      if (state() != ReadyState::open) return;
      driver_->ping(as_bytes(std::to_string(++pings_sent_)));
      schedule_ping();
      return;
    case TimerPurpose::handshake:
      report_error(Error::handshake_timeout, "the server did not complete the handshake in time");
      break;
    case TimerPurpose::close:
      report_error(Error::close_timeout, "the peer did not answer the close frame in time");
      break;
  }
  if (connection_) connection_->abort();
  finish(driver::close_code::abnormal, "", false);
}

// ---- Helpers -------------------------------------------------------------------------

void WebSocket::Core::start_timer_for(TimerPurpose purpose, net::BasicTimer::Duration delay) {
  timer_purpose_ = purpose;
  start_timer(delay);
}

void WebSocket::Core::sync_state() {
  if (driver_ && !finished_) state_.store(driver_->ready_state(), std::memory_order_release);
}

void WebSocket::Core::schedule_ping() {
  if (ping_interval_.count() <= 0 || state() != ReadyState::open) return;
  start_timer_for(TimerPurpose::ping, ping_interval_);
}

void WebSocket::Core::report_error(std::error_code error, std::string_view message) {
  if (finished_) return;
  failed_ = true;
  if (!owner().onerror) return;
  // Before open, say which phase of the attempt failed; the transport's own
  // messages already name theirs ("dns: ...", "tls: ...").
  std::string text(message);
  if (driver_ && !opened_.load(std::memory_order_relaxed)) text = "handshake: " + text;
  owner().onerror(ErrorEvent{error, std::move(text)});
}

void WebSocket::Core::finish(std::uint16_t code, std::string_view reason, bool was_clean) {
  if (finished_) return;
  finished_ = true;
  state_.store(ReadyState::closed, std::memory_order_release);
  cancel_timer();
  // Flush what the driver wrote last (our close frame), then FIN. A server
  // whose closing handshake completed has the peer's word that nothing more
  // comes (RFC 6455 5.5.1) and closes the TCP connection first (7.1.1)
  // without waiting for the peer's FIN. Not over TLS, where the peer still
  // answers our close_notify with its own, which a closed socket would
  // answer with RST.
  if (connection_ && connection_->is_open()) {
    if (was_clean && !client_ && hybi() != nullptr && !connection_->is_secure()) {
      connection_->close_after_flush();
    } else {
      connection_->close();
    }
  }
  // Nothing the connection reports matters any more. Detached here, on the
  // loop's thread, so that the application may destroy the socket on any
  // thread once it is closed (see ~Core).
  if (connection_) connection_->set_handler(nullptr);
  if (owner().onclose) owner().onclose(CloseEvent{code, std::string(reason), was_clean});
  // Let go of everything the application gave us (handlers often capture
  // the socket itself) once the current call stack, which may be inside one
  // of those handlers, has unwound.
  loop().defer([self = keep_alive_.exchange(nullptr, std::memory_order_acq_rel)] {
    if (!self) return;
    self->onopen = nullptr;
    self->onmessage = nullptr;
    self->onerror = nullptr;
    self->onclose = nullptr;
    self->ondrain = nullptr;
  });
}

}  // namespace faye
