// faye-ws bench connect: how fast the server takes new connections.
// `concurrency` slots each loop: TCP connect, (TLS), upgrade, read the 101,
// send a masked close frame, read the server's close frame, wait for the
// server to close TCP (RFC 6455 7.1.1: the server closes first, so the
// TIME_WAIT states pile up on its side, not in our ephemeral ports), close.
// Counts handshakes per second and the connect-to-101 latency. Raw sockets
// and epoll, like the raw echo engine.
#include <sys/epoll.h>

#include <array>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "clock.hpp"
#include "frames.hpp"
#include "histogram.hpp"
#include "options.hpp"
#include "poller.hpp"
#include "process_stats.hpp"
#include "raw_connection.hpp"
#include "reply_reader.hpp"
#include "report.hpp"
#include "target.hpp"

namespace faye::load {
namespace {

constexpr double kGraceSeconds = 3;
// After the server's close frame, how long we wait for it to close TCP.
constexpr std::uint64_t kLingerNs = 1'000'000'000;

enum class State : std::uint8_t { idle, handshake, closing, draining };

struct Slot {
  std::unique_ptr<RawConnection> link;  // a fresh one per attempt
  ReplyReader reader;
  std::uint64_t started = 0;            // connect() called
  std::uint64_t close_reply_at = 0;     // the server's close frame arrived
  std::uint32_t registered = 0;
  std::uint8_t close_written = 0;
  State state = State::idle;
};

class ConnectRun {
 public:
  ConnectRun(const ConnectOptions& options, const Target& target, SSL_CTX* tls)
      : options_(options), target_(target), tls_(tls),
        slots_(static_cast<std::size_t>(options.concurrency)), cpu_(options.server_pid) {
    std::random_device random;
    std::array<std::uint8_t, 4> mask{};
    for (auto& byte : mask) byte = static_cast<std::uint8_t>(random());
    close_frame_ = masked_close_frame(mask);
  }

  int run();

 private:
  void start(std::size_t index);
  void on_event(std::size_t index);
  bool write_close(Slot& slot);
  void end(std::size_t index, const std::string& problem);
  void update_events(std::size_t index);

  const ConnectOptions& options_;
  const Target& target_;
  SSL_CTX* tls_;
  std::vector<Slot> slots_;
  Poller poller_;
  ServerCpuMeter cpu_;
  ProblemLog problems_;
  std::vector<std::uint8_t> close_frame_;
  std::array<std::uint8_t, 64 * 1024> buffer_{};

  bool measuring_ = false;
  bool stopping_ = false;  // no new attempts
  int live_ = 0;
  std::uint64_t handshakes_ = 0;  // in the window
  std::uint64_t total_handshakes_ = 0;
  std::uint64_t errors_ = 0;
  bool any_connected_ = false;
  Histogram latency_;
};

void ConnectRun::start(std::size_t index) {
  Slot& slot = slots_[index];
  while (!stopping_) {
    slot.link = std::make_unique<RawConnection>();
    slot.reader = ReplyReader{};
    slot.close_written = 0;
    slot.started = now_ns();
    if (slot.link->start(target_, tls_, false) == RawConnection::Phase::failed) {
      ++errors_;
      problems_.report("connect: " + slot.link->error());
      slot.link.reset();
      stopping_ = true;  // can't even create a socket: further attempts would spin
      break;
    }
    slot.state = State::handshake;
    slot.registered = slot.link->wanted_events();
    poller_.add(slot.link->fd(), slot.registered, index);
    ++live_;
    return;
  }
  slot.state = State::idle;
}

bool ConnectRun::write_close(Slot& slot) {
  return slot.link->stream().write_rest(close_frame_, slot.close_written);
}

// Ends the attempt in `index` (an error if `problem` isn't empty) and starts the next.
void ConnectRun::end(std::size_t index, const std::string& problem) {
  Slot& slot = slots_[index];
  if (!problem.empty()) {
    ++errors_;
    problems_.report(problem);
    // Nothing has ever connected: the server isn't there; don't spin.
    if (!any_connected_) stopping_ = true;
  }
  slot.link.reset();
  slot.state = State::idle;
  --live_;
  start(index);
}

void ConnectRun::update_events(std::size_t index) {
  Slot& slot = slots_[index];
  const std::uint32_t wanted =
      slot.state == State::handshake
          ? slot.link->wanted_events()
          : EPOLLIN | (slot.close_written < close_frame_.size() || slot.link->stream().wants_write()
                           ? EPOLLOUT
                           : 0u);
  if (wanted != slot.registered) {
    slot.registered = wanted;
    poller_.modify(slot.link->fd(), wanted, index);
  }
}

void ConnectRun::on_event(std::size_t index) {
  Slot& slot = slots_[index];
  if (slot.state == State::idle) return;
  if (slot.state == State::handshake) {
    const auto phase = slot.link->advance();
    if (phase == RawConnection::Phase::failed) return end(index, "handshake: " + slot.link->error());
    if (phase != RawConnection::Phase::open) return update_events(index);
    const std::uint64_t now = now_ns();
    any_connected_ = true;
    ++total_handshakes_;
    if (measuring_) {
      ++handshakes_;
      latency_.record(now - slot.started);
    }
    if (!slot.link->leftover().empty()) return end(index, "data from the server before any message");
    slot.state = State::closing;
    if (!write_close(slot)) return end(index, "sending close: " + slot.link->stream().error());
  }
  Stream& stream = slot.link->stream();
  for (;;) {
    const long got = stream.read(buffer_.data(), buffer_.size());
    if (got == Stream::kWouldBlock) break;
    if (got == Stream::kClosed) {
      // End of stream after the close reply is the clean end of an attempt.
      return end(index, slot.state == State::draining ? std::string()
                                                      : "closed without a close frame: " + stream.error());
    }
    if (slot.state == State::draining) continue;  // after the close frame: ignored
    std::uint32_t messages = 0;
    const ExpectedEcho nothing{0, nullptr, 0};
    const auto status = slot.reader.feed(buffer_.data(), static_cast<std::size_t>(got), nothing, messages);
    if (status == ReplyReader::Status::error) return end(index, slot.reader.error());
    if (status == ReplyReader::Status::closed) {
      slot.state = State::draining;
      slot.close_reply_at = now_ns();
    }
  }
  if (slot.state == State::closing && !write_close(slot)) {
    return end(index, "sending close: " + stream.error());
  }
  update_events(index);
}

int ConnectRun::run() {
  const std::uint64_t start_ns = now_ns();
  // A short warm-up keeps the first connections' setup out of the figures.
  const std::uint64_t window_start = start_ns + 200'000'000;
  const std::uint64_t window_end = window_start + seconds_to_ns(options_.duration);
  const std::uint64_t deadline = window_end + seconds_to_ns(kGraceSeconds);
  std::uint64_t measured_from = 0;
  double duration_s = 0;
  Progress progress;
  std::uint64_t progress_handshakes = 0;

  for (std::size_t index = 0; index < slots_.size(); ++index) start(index);
  std::array<epoll_event, 256> events;
  std::uint64_t next_sweep = start_ns;
  for (;;) {
    const int ready = poller_.wait(events.data(), static_cast<int>(events.size()), 50);
    for (int i = 0; i < ready; ++i) on_event(events[i].data.u64);
    const std::uint64_t now = now_ns();
    if (now >= next_sweep) {
      // A server that keeps TCP open after its close frame: we close it.
      next_sweep = now + 50'000'000;
      for (std::size_t index = 0; index < slots_.size(); ++index) {
        if (slots_[index].state == State::draining && now - slots_[index].close_reply_at > kLingerNs) {
          end(index, "");
        }
      }
    }
    if (!measuring_ && !stopping_ && now >= window_start) {
      measuring_ = true;
      measured_from = now;
      cpu_.start();
    }
    if ((measuring_ && now >= window_end) || (!stopping_ && live_ == 0)) {
      if (measuring_) {
        cpu_.stop();
        duration_s = static_cast<double>(now - measured_from) / 1e9;
      }
      measuring_ = false;
      stopping_ = true;
    }
    if (stopping_ && (live_ == 0 || now >= deadline)) break;
    if (progress.due(now)) {
      char line[160];
      std::snprintf(line, sizeof line, "connect: %.0f handshakes/s, %llu errors",
                    static_cast<double>(total_handshakes_ - progress_handshakes),
                    static_cast<unsigned long long>(errors_));
      progress.print(line);
      progress_handshakes = total_handshakes_;
    }
  }
  slots_.clear();

  const double seconds = duration_s > 0 ? duration_s : 1;
  const auto micros = [&](double fraction) -> std::optional<double> {
    if (latency_.count() == 0) return std::nullopt;
    return static_cast<double>(latency_.percentile(fraction)) / 1e3;
  };
  const double handshakes = static_cast<double>(handshakes_);
  JsonObject json;
  json.add("mode", "connect")
      .add("url", options_.url)
      .add("concurrency", options_.concurrency)
      .add("duration_s", duration_s)
      .add("handshakes", handshakes_)
      .add("handshakes_per_s", handshakes / seconds)
      .add("p50_us", micros(0.5))
      .add("p99_us", micros(0.99))
      .add("server_cpu_s", cpu_.seconds())
      .add("handshakes_per_server_cpu_s", ratio(handshakes, cpu_.seconds()))
      .add("errors", errors_);
  print_result(json);
  return errors_ > 0 || !any_connected_ ? 1 : 0;
}

}  // namespace

int run_connect(const ConnectOptions& options) {
  raise_file_limit();
  try {
    const Target target = resolve_target(options.url, options.allow_hosts);
    std::unique_ptr<TlsClientContext> tls;
    if (target.secure) tls = std::make_unique<TlsClientContext>(options.ca_file, options.insecure);
    ConnectRun run(options, target, tls ? tls->get() : nullptr);
    return run.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "faye-ws bench: %s\n", error.what());
    return 2;
  }
}

}  // namespace faye::load
