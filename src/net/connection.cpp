#include "faye/net/connection.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>
#include <typeinfo>

#include <asio/error.hpp>

#include "faye/error.hpp"
#include "poller.hpp"

namespace faye::net {

namespace {

template <class To, class From>
To clamp_to(From value) {
  return static_cast<To>(std::clamp<From>(value, 0, std::numeric_limits<To>::max()));
}

}  // namespace

Connection::Settings::Settings(const Options& options) noexcept
    : write_buffer_limit(options.write_buffer_limit),
      gather_threshold(clamp_to<std::uint32_t>(options.gather_threshold)),
      linger_timeout(clamp_to<std::uint32_t>(options.linger_timeout.count())) {}

struct Connection::Extras {
  explicit Extras(EventLoop& loop) : linger(loop) {}
  Timer linger;                    // close(): bounds the rest of the close
  std::error_code reason;          // for on_closed, once the close is over
  std::string pending_input;       // adopt(): bytes read before the hand-off
  Stats stats;                     // from enable_stats()
  std::unique_ptr<Stream> stream;  // see streamed_
};

Connection::Extras& Connection::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>(loop_);
  return *extras_;
}

// A plain TCP socket is read and written here, without a virtual call.
inline IoResult Connection::read_some(MutableBytes into) {
  return streamed_ ? extras_->stream->read_some(into) : tcp::read_some(fd_, into);
}

inline IoResult Connection::write_some(std::span<const asio::const_buffer> buffers) {
  // Closing: whatever is written now is followed by the FIN (shutdown_send()
  // or finish() once the queue is empty, or an abort), never by a wait for
  // more to send, so the kernel may hold the last segment back for it.
  return streamed_ ? extras_->stream->write_some(buffers)
                   : tcp::write_some(fd_, buffers, state_ == State::closing);
}

void Connection::close_descriptor() noexcept {
  if (streamed_) {
    extras_->stream->close();
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
  fd_ = -1;
}

std::shared_ptr<Connection> Connection::create(EventLoop& loop, std::unique_ptr<Stream> stream,
                                               Options options) {
  return std::make_shared<Connection>(Key(), loop, std::move(stream), options);
}

std::shared_ptr<Connection> Connection::create(EventLoop& loop, int fd, Options options) {
  return std::make_shared<Connection>(Key(), loop, fd, options);
}

std::shared_ptr<Connection> Connection::adopt(EventLoop& loop, Socket::native_handle_type handle,
                                              Bytes already_read, std::error_code& ec,
                                              Options options) {
  ec.clear();
  // The address family decides the protocol object Asio needs to assign().
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(handle, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ec = std::error_code(errno, std::system_category());
    return nullptr;
  }
  int type = 0;
  socklen_t type_length = sizeof type;
  if (::getsockopt(handle, SOL_SOCKET, SO_TYPE, &type, &type_length) != 0 || type != SOCK_STREAM ||
      (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
    ec = std::make_error_code(std::errc::not_supported);
    return nullptr;
  }
  Socket socket(loop.context());
  socket.assign(address.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), handle,
                ec);
  if (ec) return nullptr;
  return adopt(loop, std::move(socket), already_read, options);
}

std::shared_ptr<Connection> Connection::adopt(EventLoop& loop, Socket socket, Bytes already_read,
                                              Options options) {
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  auto connection = create(loop, std::make_unique<TcpStream>(std::move(socket)), options);
  if (!already_read.empty()) {
    connection->extras().pending_input.assign(as_text(already_read));
    connection->pending_input_ = true;
  }
  return connection;
}

Connection::Connection(Key key, EventLoop& loop, std::unique_ptr<Stream> stream, Options options)
    : Connection(key, loop, -1, options) {
  secure_ = stream->is_secure();
  stream->release_from_reactor();
  // A plain TCP socket out of Asio's reactor is kept as its descriptor alone.
  if (const Stream& given = *stream; typeid(given) == typeid(TcpStream)) {
    fd_ = stream->take_descriptor();
  }
  if (fd_ < 0) {
    fd_ = stream->native_handle();
    extras().stream = std::move(stream);
    streamed_ = true;
  }
}

Connection::Connection(Key, EventLoop& loop, int fd, Options options)
    : loop_(loop), options_(options), fd_(fd), slot_(loop.poller().reserve(*this)) {}

// One that never closed, destroyed by its owner on the loop: its slot would
// stay taken, and a watched one keep the poller waiting, for nothing.
Connection::~Connection() {
  if (slotted_) loop_.poller().release(slot_);
  close_descriptor();
}

std::string Connection::remote_endpoint() const {
  asio::ip::tcp::endpoint endpoint;
  socklen_t length = static_cast<socklen_t>(endpoint.capacity());
  if (::getpeername(fd_, endpoint.data(), &length) != 0) return {};
  endpoint.resize(length);
  return to_string(endpoint);
}

void Connection::enable_stats() {
  extras();
  counting_ = true;
}

Connection::Stats Connection::stats() const noexcept {
  return counting_ ? extras_->stats : Stats{};
}

void Connection::start() {
  if (started_ || state_ == State::closed) return;
  started_ = true;
  // Read before waiting: Asio's epoll reactor is edge-triggered, so bytes that
  // arrived before the first wait would raise no event of their own.
  read_posted_ = true;
  loop_.defer([self = shared_from_this()] {
    self->read_posted_ = false;
    self->read_now();
  });
}

void Connection::read_now() {
  if (state_ == State::closed || read_waiting_ || !started_) return;
  if (paused_ && state_ == State::open) return;
  auto self = shared_from_this();  // the handler may drop the last owner in on_data
  const MutableBytes buffer = loop_.read_buffer();
  std::size_t filled = 0;
  bool more = false;
  Wait wait = Wait::none;
  std::error_code error;
  bool drained = false;
  if (pending_input_) {
    std::string& input = extras_->pending_input;
    filled = std::min(input.size(), buffer.size());
    std::memcpy(buffer.data(), input.data(), filled);
    input.erase(0, filled);
    if (input.empty()) {
      input = std::string();  // its storage too
      pending_input_ = false;
    }
    more = true;
  } else {
    // Until the socket would block: with edge-triggered readiness, stopping
    // earlier could leave bytes behind that no event announces. A short read
    // of plain TCP has emptied the receive queue: it counts as blocking, and
    // saves the read that would return EAGAIN. Not when the wake-up reported
    // the peer's FIN, which arrived with the bytes and won't be announced
    // again; nor over TLS, where a record may still be buffered.
    for (;;) {
      const std::size_t room = buffer.size() - filled;
      const IoResult result = read_some(buffer.subspan(filled));
      filled += result.bytes;
      if (counting_) {
        ++extras_->stats.read_calls;
        extras_->stats.bytes_read += result.bytes;
      }
      if (result.bytes > 0 && result.bytes < room && !secure_ && !peer_hung_up_ && !result.error) {
        wait = Wait::read;
        drained = true;
        break;
      }
      if (result.error) {
        error = result.error;
        break;
      }
      if (result.wait != Wait::none) {
        wait = result.wait;
        drained = !secure_;
        break;
      }
      if (result.bytes == 0) {
        error = asio::error::eof;
        break;
      }
      if (filled == buffer.size()) {
        more = true;
        break;
      }
    }
  }
  drained_ = drained;
  if (filled > 0 && state_ == State::open && handler_) {
    in_read_batch_ = true;
    handler_->on_data(buffer.first(filled));
    in_read_batch_ = false;
  }
  if (state_ == State::closed) return;
  if (error) {
    on_read_error(error);
  } else if (more) {
    // A full buffer: let the loop's other connections run, then continue.
    // Posted rather than waited for, because TLS may hold decrypted input
    // that no readiness event would announce.
    if (!read_posted_) {
      read_posted_ = true;
      loop_.defer([self] {
        self->read_posted_ = false;
        self->read_now();
      });
    }
  } else if (!peer_done_) {
    // (A peer that is done sends nothing more worth a wait.)
    wait_readable(wait);
  }
  // The cork: one flush for everything the batch produced.
  if (state_ != State::closed && !flush_posted_) flush();
}

bool Connection::watch() {
  if (watched_) return true;
  std::error_code ec;
  loop_.poller().watch(slot_, fd_, ec);
  if (ec) {
    finish(ec);
    return false;
  }
  watched_ = true;
  return true;
}

void Connection::wait_readable(Wait wait) {
  if (read_waiting_ || state_ == State::closed) return;
  if (paused_ && state_ == State::open) return;
  if (!watch()) return;
  read_waiting_ = true;
  // Wait::write here means TLS needs to send before it can read on.
  read_waits_for_output_ = wait == Wait::write;
  if (!waiting_self_) waiting_self_ = shared_from_this();
}

void Connection::on_ready(std::uint32_t events) {
  auto self = waiting_self_;  // kept for the whole call: a handler may drop every owner
  const bool failed = (events & (EPOLLERR | EPOLLHUP)) != 0;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) peer_hung_up_ = true;
  // Announced input, read below or (paused) by resume_reading().
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) drained_ = false;
  const std::uint32_t write_events = write_waits_for_input_ ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
  if (write_waiting_ && (failed || (events & write_events))) {
    write_waiting_ = false;
    flush();
  }
  const std::uint32_t read_events = read_waits_for_output_ ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
  if (read_waiting_ && state_ != State::closed && (failed || (events & read_events))) {
    read_waiting_ = false;
    read_now();
  }
  if (!read_waiting_ && !write_waiting_) waiting_self_.reset();
}

void Connection::on_read_error(std::error_code ec) {
  if (ec == asio::error::eof) {
    eof_received_ = true;
    if (state_ == State::open) {
      begin_close(ec);
    } else if (state_ == State::lingering) {
      finish(close_reason());
    }
    return;
  }
  // After our FIN, the exchange is complete whatever the peer does.
  finish(state_ == State::lingering ? close_reason() : ec);
}

bool Connection::write(Bytes data) {
  if (state_ != State::open) return false;
  if (data.empty()) return true;
  if (data.size() >= options_.gather_threshold && !write_waiting_ && !pushed_back_) {
    return fits(data.size()) && write_through(data);
  }
  std::uint8_t* at = make_room(data.size());
  if (at) std::memcpy(at, data.data(), data.size());
  return at != nullptr;
}

// Within Options::write_buffer_limit after `more` bytes; else the
// connection fails.
bool Connection::fits(std::size_t more) {
  if (options_.write_buffer_limit && buffered_amount() + more > options_.write_buffer_limit) {
    finish(Error::write_buffer_full);
    return false;
  }
  return true;
}

// Room for `size` bytes at the end of the queue's last buffer, sent at the
// end of the turn; null when the connection is closing or closed, or when
// the bytes would take it past its limit (which closes it).
std::uint8_t* Connection::make_room_slowly(std::size_t size) {
  if (state_ != State::open || !fits(size)) return nullptr;
  if (!writes_ || !writes_->chunks.back().appendable) {
    push_chunk({loop_.take_write_buffer(), true});
  }
  std::uint8_t* at = writes_->chunks.back().buffer.extend(size);
  writes_->buffered += size;
  if (!in_read_batch_) schedule_flush();  // a read batch flushes at its end
  return at;
}

bool Connection::write(std::string&& owned) {
  if (owned.size() < options_.gather_threshold) return write(as_bytes(owned));
  if (state_ != State::open || !fits(owned.size())) return false;
  const std::size_t size = owned.size();
  push_chunk({.owned = std::move(owned)});
  writes_->buffered += size;
  schedule_flush();
  return true;
}

// A large payload is sent at once from where it lies (usually the loop's
// read buffer, being echoed), in one writev with whatever was queued before
// it, rather than copied into the queue and sent at the end of the turn:
// only what the socket does not take is copied.
bool Connection::write_through(Bytes data) {
  push_chunk({.borrowed = data});
  writes_->buffered += data.size();
  flush();
  if (writes_ && writes_->chunks.back().borrowed.data() != nullptr) {
    WriteQueue& queue = *writes_;
    Chunk& rest = queue.chunks.back();
    const bool at_head = &rest == &queue.chunks[queue.head];
    rest.buffer.append(rest.borrowed.subspan(at_head ? queue.front_offset : 0));
    rest.borrowed = {};
    if (at_head) queue.front_offset = 0;
  }
  return true;
}

void Connection::schedule_flush() {
  // During a read batch the flush comes at its end; while the socket pushes
  // back, writability triggers it.
  if (in_read_batch_ || flush_posted_ || write_waiting_ || state_ == State::closed) return;
  flush_posted_ = true;
  loop_.defer([self = shared_from_this()] {
    self->flush_posted_ = false;
    self->flush();
  });
}

void Connection::flush() {
  if (state_ == State::closed || write_waiting_) return;
  if (writes_) {
    if (counting_) ++extras_->stats.flushes;
    // 64 buffers per writev: far below IOV_MAX, plenty for one turn's output.
    // Left uninitialized (asio::const_buffer's constructor would zero all 64
    // on every flush); only the first `count` are written and read.
    constexpr std::size_t kMaxBuffers = 64;
    union Buffers {
      Buffers() {}
      asio::const_buffer at[kMaxBuffers];
    } buffers;
    while (writes_) {
      const WriteQueue& queue = *writes_;
      std::size_t count = 0;
      for (auto it = queue.chunks.begin() + static_cast<std::ptrdiff_t>(queue.head);
           it != queue.chunks.end() && count < kMaxBuffers; ++it) {
        const std::size_t offset = count == 0 ? queue.front_offset : 0;
        const Bytes bytes = it->bytes();
        buffers.at[count++] = asio::buffer(bytes.data() + offset, bytes.size() - offset);
      }
      const IoResult result = write_some({buffers.at, count});
      if (counting_) ++extras_->stats.write_calls;
      consume(result.bytes);
      if (result.error) return finish(result.error);
      if (result.wait != Wait::none || result.bytes == 0) {
        pushed_back_ = true;
        return wait_writable(result.wait == Wait::read ? Wait::read : Wait::write);
      }
    }
  }
  if (pushed_back_) {
    pushed_back_ = false;
    if (state_ == State::open && handler_) {
      handler_->on_drain();
      if (state_ == State::closed) return;
    }
  }
  if (state_ == State::closing && queue_empty()) shutdown_send();
}

// Called after each write, with the queue not empty.
void Connection::consume(std::size_t bytes) {
  wrote_ = true;
  if (counting_) extras_->stats.bytes_written += bytes;
  writes_->buffered -= bytes;
  while (bytes > 0) {
    WriteQueue& queue = *writes_;
    const std::size_t left = queue.chunks[queue.head].bytes().size() - queue.front_offset;
    if (bytes < left) {
      queue.front_offset += bytes;
      return;
    }
    bytes -= left;
    pop_chunk();
  }
}

void Connection::push_chunk(Chunk chunk) {
  if (!writes_) {
    writes_ = loop_.take_write_queue();
  } else if (writes_->head >= 32 && writes_->head * 2 >= writes_->chunks.size()) {
    // Mostly written chunks ahead: drop them so the vector doesn't creep.
    auto& chunks = writes_->chunks;
    chunks.erase(chunks.begin(), chunks.begin() + static_cast<std::ptrdiff_t>(writes_->head));
    writes_->head = 0;
  }
  writes_->chunks.push_back(std::move(chunk));
}

void Connection::pop_chunk() {
  WriteQueue& queue = *writes_;
  loop_.give_back_write_buffer(std::move(queue.chunks[queue.head].buffer));
  queue.front_offset = 0;
  // Empty: the box goes back to the loop.
  if (++queue.head == queue.chunks.size()) loop_.give_back_write_queue(std::move(writes_));
}

void Connection::clear_queue() {
  while (writes_) pop_chunk();
}

void Connection::on_poller_gone() {
  slotted_ = false;
  watched_ = false;
  read_waiting_ = false;
  write_waiting_ = false;
  waiting_self_.reset();  // may destroy this connection
}

void Connection::wait_writable(Wait wait) {
  if (state_ == State::closed || !watch()) return;
  write_waiting_ = true;
  // Wait::read: TLS must receive (a handshake message) before it can send.
  write_waits_for_input_ = wait == Wait::read;
  if (!waiting_self_) waiting_self_ = shared_from_this();
  // Not open: closing, and a flush that must wait is bounded by the linger.
  if (state_ != State::open && !(extras_ && extras_->linger.pending())) arm_linger();
}

void Connection::pause_reading() {
  paused_ = true;
}

void Connection::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  if (!started_ || state_ == State::closed || read_waiting_ || read_posted_) return;
  // The last read emptied the socket, and no readiness has been announced
  // since: input that arrives now raises an event of its own (or is found
  // when the socket joins the poller's set), so waiting is enough. This
  // saves the read that would return EAGAIN, e.g. when a WebSocket takes
  // over after its handshake, or an HTTP connection after a response.
  if (drained_) {
    wait_readable(Wait::read);
    return;
  }
  // Else read before waiting again (edge-triggered readiness, see start()).
  read_posted_ = true;
  loop_.defer([self = shared_from_this()] {
    self->read_posted_ = false;
    self->read_now();
  });
}

void Connection::close() {
  begin_close({});
}

void Connection::close_after_flush() {
  if (state_ != State::open) return;
  peer_done_ = true;
  begin_close({});
}

void Connection::begin_close(std::error_code reason) {
  if (state_ != State::open) return;
  state_ = State::closing;
  // A clean close that completes at once needs no Extras (see close_reason()).
  if (reason) extras().reason = reason;
  // Without a FIN to wait for, only a flush that has to wait needs bounding
  // (wait_writable() arms the timer then): a close that completes at once
  // costs no timer.
  if (!peer_done_ || write_waiting_) arm_linger();
  if (!write_waiting_) {
    if (in_read_batch_) return;  // the end of the batch flushes and shuts down
    if (!flush_posted_) {
      flush_posted_ = true;
      loop_.defer([self = shared_from_this()] {
        self->flush_posted_ = false;
        self->flush();
      });
    }
  }
}

std::error_code Connection::close_reason() const noexcept {
  return extras_ ? extras_->reason : std::error_code();
}

void Connection::arm_linger() {
  extras().linger.start(options_.linger_timeout, [weak = weak_from_this()] {
    if (auto self = weak.lock()) {
      // Everything sent and only the peer's FIN missing is still a clean close.
      self->finish(self->queue_empty() ? self->close_reason()
                                       : std::error_code(asio::error::timed_out));
    }
  });
}

void Connection::shutdown_send() {
  if (peer_done_) {
    // Nothing more to wait for (close_after_flush(), plain TCP only): the
    // close() in finish() sends the FIN as shutdown() would, one system call
    // fewer. Unread input would make either send RST; the peer has none to
    // send.
    state_ = State::lingering;
    return finish(close_reason());
  }
  const IoResult result = streamed_ ? extras_->stream->shutdown_send() : tcp::shutdown_send(fd_);
  if (result.wait != Wait::none) return wait_writable(result.wait);
  state_ = State::lingering;
  if (result.error || eof_received_ || !started_) return finish(close_reason());
  // Keep reading (and discarding) until the peer's FIN: closing with unread
  // input would make the kernel send RST, which can destroy our last bytes
  // before the peer reads them.
  if (!read_waiting_ && !read_posted_) {
    read_posted_ = true;
    loop_.defer([self = shared_from_this()] {
      self->read_posted_ = false;
      self->read_now();
    });
  }
}

void Connection::abort() {
  if (state_ == State::closed) return;
  // SO_LINGER 0: close() sends RST and leaves no TIME_WAIT behind.
  const linger reset{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  finish(asio::error::operation_aborted);
}

void Connection::finish(std::error_code ec) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  // Here, on the loop's thread: the last owner of a closed connection may
  // let go of it on any thread (a WebSocket held by another thread), and its
  // destructor must not touch the poller then. The descriptor is closed
  // below, which takes it out of the epoll set.
  if (extras_) extras_->linger.cancel();
  if (slotted_) loop_.poller().release(slot_);
  slotted_ = false;
  watched_ = false;
  read_waiting_ = false;
  write_waiting_ = false;
  auto keep = std::move(waiting_self_);  // until on_closed is posted, which holds it
  close_descriptor();
  clear_queue();
  if (pending_input_) {
    extras_->pending_input = std::string();
    pending_input_ = false;
  }
  // Always from the loop, never from inside write()/abort()/on_data.
  loop_.defer([self = shared_from_this(), ec] {
    Handler* handler = self->handler_;
    self->handler_ = nullptr;
    if (handler) handler->on_closed(ec);
  });
}

}  // namespace faye::net
