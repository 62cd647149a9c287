// faye-ws bench echo --engine raw: the reference client, built so that it is
// never the bottleneck. One thread, epoll (level-triggered), non-blocking
// sockets; each connection keeps `in_flight` messages outstanding. A wake-up
// reads everything available, checks every echo, and answers all the
// completed ones with ONE write of pre-built, pre-masked frames. Nothing is
// allocated per message: round-trip times go through a per-connection ring
// of send timestamps into a fixed-size histogram.
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "clock.hpp"
#include "echo_report.hpp"
#include "echo_timeline.hpp"
#include "frames.hpp"
#include "options.hpp"
#include "poller.hpp"
#include "process_stats.hpp"
#include "raw_connection.hpp"
#include "reply_reader.hpp"
#include "report.hpp"
#include "target.hpp"

namespace faye::load {
namespace {

// Handshakes in progress at once: well under a server's accept backlog.
constexpr int kMaxPendingHandshakes = 500;
// After the measured window, how long connections get to close cleanly.
constexpr std::size_t kReadBufferSize = 256 * 1024;
constexpr std::size_t kFrameRunBytes = 256 * 1024;

// The same frame repeated back to back: writing N messages is one write of
// N frames' worth of these bytes, starting at any phase within a frame.
struct FrameRun {
  std::vector<std::uint8_t> bytes;
  std::size_t frame_size = 0;

  void build(const std::vector<std::uint8_t>& frame, int in_flight) {
    frame_size = frame.size();
    // Never more outstanding than in_flight frames, plus one for the phase.
    const std::size_t copies =
        std::clamp<std::size_t>(kFrameRunBytes / frame_size, 2, static_cast<std::size_t>(in_flight) + 1);
    bytes.reserve(copies * frame_size);
    for (std::size_t i = 0; i < copies; ++i) bytes.insert(bytes.end(), frame.begin(), frame.end());
  }
};

enum class State : std::uint8_t { setup, running, closing, done };

struct Session {
  RawConnection link;
  ReplyReader reader;
  std::unique_ptr<std::uint64_t[]> sent_at;  // ring of send times, in_flight entries
  std::uint32_t ring_head = 0;
  std::uint32_t ring_count = 0;
  std::uint64_t out_pending = 0;  // bytes of queued frames not yet written
  std::size_t out_phase = 0;      // where in a frame the next write starts
  const FrameRun* frames = nullptr;
  std::uint32_t registered = 0;   // the epoll events asked for
  std::uint8_t close_written = 0; // bytes of our close frame written
  State state = State::setup;
};


class RawEcho {
 public:
  RawEcho(const EchoOptions& options, const Target& target, SSL_CTX* tls)
      : options_(options), target_(target), tls_(tls), sessions_(options.connections),
        buffer_(new std::uint8_t[kReadBufferSize]), timeline_(options, "echo") {
    std::random_device random;
    for (auto& byte : mask_) byte = static_cast<std::uint8_t>(random());
    payload_ = make_payload(options.size, options.binary);
    const std::uint8_t opcode = options.binary ? kOpBinary : kOpText;
    expected_ = {opcode, payload_.data(), payload_.size()};
    std::vector<std::uint8_t> frame;
    append_masked_frame(frame, kFin | opcode, payload_.data(), payload_.size(), mask_);
    plain_.build(frame, options.in_flight);
    if (options.deflate) {
      const std::vector<std::uint8_t> compressed = deflate_message(payload_);
      frame.clear();
      append_masked_frame(frame, kFin | kRsv1 | opcode, compressed.data(), compressed.size(), mask_);
      deflated_.build(frame, options.in_flight);
    }
    close_frame_ = masked_close_frame(mask_);
  }

  int run();

 private:
  void start_more();
  void on_event(std::size_t index, std::uint32_t events);
  void on_setup(std::size_t index);
  void on_traffic(std::size_t index, std::uint32_t events);
  void on_echoes(Session& session, std::uint32_t completed, std::uint64_t now);
  bool flush(Session& session);
  void update_events(std::size_t index);
  void finish(std::size_t index, const std::string& problem);
  void begin_closing();

  const EchoOptions& options_;
  const Target& target_;
  SSL_CTX* tls_;
  std::vector<Session> sessions_;
  std::unique_ptr<std::uint8_t[]> buffer_;
  Poller poller_;
  ProblemLog problems_;
  std::array<std::uint8_t, 4> mask_{};
  std::vector<std::uint8_t> payload_;
  ExpectedEcho expected_{};
  FrameRun plain_, deflated_;
  std::vector<std::uint8_t> close_frame_;

  EchoTimeline timeline_;
  std::size_t next_ = 0;  // the next session to start
  int pending_handshakes_ = 0;
  int live_ = 0;          // sessions not done
  std::uint64_t total_messages_ = 0;
  EchoResult result_;
};

void RawEcho::start_more() {
  while (pending_handshakes_ < kMaxPendingHandshakes && next_ < sessions_.size() &&
         !timeline_.closing()) {
    const std::size_t index = next_++;
    Session& session = sessions_[index];
    session.sent_at = std::make_unique<std::uint64_t[]>(static_cast<std::size_t>(options_.in_flight));
    if (session.link.start(target_, tls_, options_.deflate) == RawConnection::Phase::failed) {
      session.state = State::done;
      ++result_.errors;
      problems_.report("connection " + std::to_string(index) + ": " + session.link.error());
      continue;
    }
    ++pending_handshakes_;
    ++live_;
    session.registered = session.link.wanted_events();
    poller_.add(session.link.fd(), session.registered, index);
  }
}

void RawEcho::on_event(std::size_t index, std::uint32_t events) {
  Session& session = sessions_[index];
  if (session.state == State::setup) {
    on_setup(index);
  } else if (session.state != State::done) {
    on_traffic(index, events);
  }
}

void RawEcho::on_setup(std::size_t index) {
  Session& session = sessions_[index];
  const RawConnection::Phase phase = session.link.advance();
  if (phase == RawConnection::Phase::failed) {
    --pending_handshakes_;
    finish(index, "connection " + std::to_string(index) + ": " + session.link.error());
    start_more();
    return;
  }
  if (phase != RawConnection::Phase::open) {
    update_events(index);
    return;
  }
  --pending_handshakes_;
  ++result_.connected;
  start_more();
  session.frames = session.link.deflate() && options_.deflate ? &deflated_ : &plain_;
  if (session.link.deflate()) result_.deflate_agreed = true;
  if (timeline_.closing()) {
    session.state = State::closing;
  } else {
    session.state = State::running;
    const std::uint64_t now = now_ns();
    for (int i = 0; i < options_.in_flight; ++i) session.sent_at[i] = now;
    session.ring_count = static_cast<std::uint32_t>(options_.in_flight);
    session.out_pending = session.frames->frame_size * static_cast<std::uint64_t>(options_.in_flight);
  }
  if (!session.link.leftover().empty()) {
    std::uint32_t completed = 0;
    const auto& early = session.link.leftover();
    const auto status = session.reader.feed(reinterpret_cast<const std::uint8_t*>(early.data()),
                                            early.size(), expected_, completed);
    session.link.drop_leftover();
    if (status != ReplyReader::Status::ok || completed > 0) {
      finish(index, "connection " + std::to_string(index) + ": data before any message was sent");
      return;
    }
  }
  if (!flush(session)) {
    finish(index, "connection " + std::to_string(index) + ": " + session.link.stream().error());
    return;
  }
  update_events(index);
}

void RawEcho::on_traffic(std::size_t index, std::uint32_t events) {
  Session& session = sessions_[index];
  Stream& stream = session.link.stream();
  // TLS may need a readable or writable socket for either direction: try both.
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || stream.secure()) {
    std::uint32_t completed = 0;
    for (;;) {
      const long got = stream.read(buffer_.get(), kReadBufferSize);
      if (got == Stream::kWouldBlock) break;
      if (got == Stream::kClosed) {
        on_echoes(session, completed, now_ns());
        finish(index, session.state == State::closing
                          ? std::string()
                          : "connection " + std::to_string(index) + ": " + stream.error());
        return;
      }
      const auto status = session.reader.feed(buffer_.get(), static_cast<std::size_t>(got), expected_, completed);
      if (status == ReplyReader::Status::error) {
        finish(index, "connection " + std::to_string(index) + ": " + session.reader.error());
        return;
      }
      if (status == ReplyReader::Status::closed) {
        on_echoes(session, completed, now_ns());
        finish(index, session.state == State::closing
                          ? std::string()
                          : "connection " + std::to_string(index) + ": the server closed the connection");
        return;
      }
      // A short read drained the socket; TLS reads a record at a time, so it
      // reads on until the socket is empty.
      if (!stream.secure() && static_cast<std::size_t>(got) < kReadBufferSize) break;
    }
    if (completed > session.ring_count) {
      finish(index, "connection " + std::to_string(index) + ": more echoes than messages sent");
      return;
    }
    on_echoes(session, completed, now_ns());
  }
  if (!flush(session)) {
    finish(index, "connection " + std::to_string(index) + ": " + stream.error());
    return;
  }
  update_events(index);
}

// Records the round trips of `completed` echoes and, while running, sends as
// many new messages (queued here, written by flush()).
void RawEcho::on_echoes(Session& session, std::uint32_t completed, std::uint64_t now) {
  if (completed == 0) return;
  total_messages_ += completed;
  const auto capacity = static_cast<std::uint32_t>(options_.in_flight);
  completed = std::min(completed, session.ring_count);
  for (std::uint32_t i = 0; i < completed; ++i) {
    if (timeline_.measuring()) result_.latency.record(now - session.sent_at[session.ring_head]);
    session.ring_head = session.ring_head + 1 == capacity ? 0 : session.ring_head + 1;
  }
  session.ring_count -= completed;
  if (session.state != State::running) return;
  for (std::uint32_t i = 0; i < completed; ++i) {
    std::uint32_t tail = session.ring_head + session.ring_count;
    if (tail >= capacity) tail -= capacity;
    session.sent_at[tail] = now;
    ++session.ring_count;
  }
  session.out_pending += session.frames->frame_size * completed;
}

// Writes what is queued; false when the connection failed.
bool RawEcho::flush(Session& session) {
  Stream& stream = session.link.stream();
  const FrameRun& run = *session.frames;
  while (session.out_pending > 0) {
    const std::size_t length = static_cast<std::size_t>(
        std::min<std::uint64_t>(session.out_pending, run.bytes.size() - session.out_phase));
    const long wrote = stream.write(run.bytes.data() + session.out_phase, length);
    if (wrote == Stream::kWouldBlock) return true;
    if (wrote == Stream::kClosed) return false;
    session.out_pending -= static_cast<std::uint64_t>(wrote);
    session.out_phase = (session.out_phase + static_cast<std::size_t>(wrote)) % run.frame_size;
  }
  if (session.state != State::closing) return true;
  return stream.write_rest(close_frame_, session.close_written);
}

void RawEcho::update_events(std::size_t index) {
  Session& session = sessions_[index];
  std::uint32_t wanted;
  if (session.state == State::setup) {
    wanted = session.link.wanted_events();
  } else {
    const bool more = session.out_pending > 0 || session.link.stream().wants_write() ||
                      (session.state == State::closing && session.close_written < close_frame_.size());
    wanted = EPOLLIN | (more ? EPOLLOUT : 0u);
  }
  if (wanted != session.registered) {
    session.registered = wanted;
    poller_.modify(session.link.fd(), wanted, index);
  }
}

// Ends a session; a non-empty `problem` counts as an error.
void RawEcho::finish(std::size_t index, const std::string& problem) {
  Session& session = sessions_[index];
  if (!problem.empty()) {
    ++result_.errors;
    problems_.report(problem);
  }
  session.link.close();
  session.state = State::done;
  session.sent_at.reset();
  --live_;
}

// The window is over: each connection finishes writing what it queued, then
// sends a close frame and waits for the server's.
void RawEcho::begin_closing() {
  for (std::size_t index = 0; index < next_; ++index) {
    Session& session = sessions_[index];
    if (session.state != State::running) continue;
    session.state = State::closing;
    if (!flush(session)) {
      finish(index, "connection " + std::to_string(index) + ": " + session.link.stream().error());
      continue;
    }
    update_events(index);
  }
}

int RawEcho::run() {
  timeline_.start();
  start_more();
  std::array<epoll_event, 512> events;
  for (;;) {
    const int ready = poller_.wait(events.data(), static_cast<int>(events.size()), 50);
    for (int i = 0; i < ready; ++i) on_event(events[i].data.u64, events[i].events);
    const bool all_gone = live_ == 0 && next_ == sessions_.size();
    const EchoTimeline::Step step = timeline_.tick(total_messages_, all_gone, live_ == 0, result_);
    if (step == EchoTimeline::Step::stop) break;
    if (step == EchoTimeline::Step::begin_closing) begin_closing();
  }
  for (Session& session : sessions_) session.link.close();
  return finish_echo(options_, result_);
}

}  // namespace

int run_echo_raw(const EchoOptions& options) {
  raise_file_limit();
  try {
    const Target target = resolve_target(options.url, options.allow_hosts);
    std::unique_ptr<TlsClientContext> tls;
    if (target.secure) tls = std::make_unique<TlsClientContext>(options.ca_file, options.insecure);
    RawEcho echo(options, target, tls ? tls->get() : nullptr);
    return echo.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "faye-ws bench: %s\n", error.what());
    return 2;
  }
}

}  // namespace faye::load
