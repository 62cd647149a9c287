// faye-ws bench idle: what an open, quiet connection costs the server. Reads
// the server's VmRSS, opens `connections` WebSockets (at most 500 handshakes
// in flight, so the accept backlog is never overrun), lets the server settle,
// reads VmRSS again, holds the connections `hold` seconds, then closes them
// all with close frames. Raw sockets and epoll: our side costs a few hundred
// bytes per connection.
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "clock.hpp"
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

constexpr int kMaxPendingHandshakes = 500;
constexpr double kGraceSeconds = 3;
// How long the server gets to settle before its memory is read again.
constexpr double kSettleSeconds = 1;

enum class State : std::uint8_t { setup, open, closing, done };

struct Idle {
  RawConnection link;
  ReplyReader reader;  // notices a close frame from the server
  std::uint32_t registered = 0;
  std::uint8_t close_written = 0;
  State state = State::setup;
};

enum class Phase { opening, settling, holding, closing };

class IdleRun {
 public:
  IdleRun(const IdleOptions& options, const Target& target)
      : options_(options), target_(target), idles_(static_cast<std::size_t>(options.connections)) {
    std::random_device random;
    std::array<std::uint8_t, 4> mask{};
    for (auto& byte : mask) byte = static_cast<std::uint8_t>(random());
    close_frame_ = masked_close_frame(mask);
  }

  int run();

 private:
  void start_more();
  void on_event(std::size_t index);
  void end(std::size_t index, const std::string& problem);
  void update_events(std::size_t index);
  bool write_close(Idle& idle);

  const IdleOptions& options_;
  const Target& target_;
  std::vector<Idle> idles_;
  Poller poller_;
  ProblemLog problems_;
  std::vector<std::uint8_t> close_frame_;
  std::array<std::uint8_t, 16 * 1024> buffer_{};

  Phase phase_ = Phase::opening;
  std::size_t next_ = 0;
  int pending_handshakes_ = 0;
  int live_ = 0;
  int opened_ = 0;
  std::uint64_t errors_ = 0;
};

void IdleRun::start_more() {
  while (pending_handshakes_ < kMaxPendingHandshakes && next_ < idles_.size() &&
         phase_ == Phase::opening) {
    const std::size_t index = next_++;
    Idle& idle = idles_[index];
    if (idle.link.start(target_, nullptr, false) == RawConnection::Phase::failed) {
      idle.state = State::done;
      ++errors_;
      problems_.report("connection " + std::to_string(index) + ": " + idle.link.error());
      continue;
    }
    ++pending_handshakes_;
    ++live_;
    idle.registered = idle.link.wanted_events();
    poller_.add(idle.link.fd(), idle.registered, index);
  }
}

bool IdleRun::write_close(Idle& idle) {
  return idle.link.stream().write_rest(close_frame_, idle.close_written);
}

void IdleRun::end(std::size_t index, const std::string& problem) {
  Idle& idle = idles_[index];
  if (!problem.empty()) {
    ++errors_;
    problems_.report("connection " + std::to_string(index) + ": " + problem);
  }
  if (idle.state == State::setup) {
    --pending_handshakes_;
    start_more();
  }
  idle.link.close();
  idle.state = State::done;
  --live_;
}

void IdleRun::update_events(std::size_t index) {
  Idle& idle = idles_[index];
  std::uint32_t wanted = EPOLLIN;
  if (idle.state == State::setup) {
    wanted = idle.link.wanted_events();
  } else if (idle.state == State::closing && idle.close_written < close_frame_.size()) {
    wanted |= EPOLLOUT;
  }
  if (wanted != idle.registered) {
    idle.registered = wanted;
    poller_.modify(idle.link.fd(), wanted, index);
  }
}

void IdleRun::on_event(std::size_t index) {
  Idle& idle = idles_[index];
  if (idle.state == State::done) return;
  if (idle.state == State::setup) {
    const auto phase = idle.link.advance();
    if (phase == RawConnection::Phase::failed) return end(index, idle.link.error());
    if (phase != RawConnection::Phase::open) return update_events(index);
    --pending_handshakes_;
    ++opened_;
    idle.state = phase_ == Phase::closing ? State::closing : State::open;
    if (!idle.link.leftover().empty()) return end(index, "data from the server on an idle connection");
    idle.link.drop_leftover();
    start_more();
    if (idle.state == State::closing && !write_close(idle)) return end(index, idle.link.stream().error());
    return update_events(index);
  }
  for (;;) {
    const long got = idle.link.stream().read(buffer_.data(), buffer_.size());
    if (got == Stream::kWouldBlock) break;
    if (got == Stream::kClosed) {
      return end(index, idle.state == State::closing ? std::string()
                                                     : "closed by the server: " + idle.link.stream().error());
    }
    std::uint32_t messages = 0;
    const ExpectedEcho nothing{0, nullptr, 0};
    const auto status = idle.reader.feed(buffer_.data(), static_cast<std::size_t>(got), nothing, messages);
    if (status == ReplyReader::Status::error) return end(index, idle.reader.error());
    if (status == ReplyReader::Status::closed) {
      return end(index, idle.state == State::closing ? std::string() : "the server sent a close frame");
    }
    if (messages > 0) return end(index, "a message on an idle connection");
  }
  if (idle.state == State::closing && !write_close(idle)) return end(index, idle.link.stream().error());
  update_events(index);
}

int IdleRun::run() {
  const std::optional<int> pid = options_.server_pid;
  const std::optional<long> rss_before = pid ? process_rss_kib(*pid) : std::nullopt;
  const std::uint64_t start = now_ns();
  // Opening is paced by the server; give it 10 s plus 1 ms per connection.
  const std::uint64_t open_deadline = start + seconds_to_ns(10 + options_.connections / 1000.0);
  std::uint64_t all_open_at = 0, settle_end = 0, hold_end = 0, close_deadline = 0;
  std::optional<long> rss_after;
  Progress progress;

  start_more();
  std::array<epoll_event, 512> events;
  for (;;) {
    const int ready = poller_.wait(events.data(), static_cast<int>(events.size()), 50);
    for (int i = 0; i < ready; ++i) on_event(events[i].data.u64);
    const std::uint64_t now = now_ns();
    if (phase_ == Phase::opening && (pending_handshakes_ == 0 && next_ == idles_.size())) {
      all_open_at = now;
      phase_ = Phase::settling;
      settle_end = now + seconds_to_ns(std::min(kSettleSeconds, options_.hold));
      hold_end = now + seconds_to_ns(options_.hold);
    } else if (phase_ == Phase::opening && now >= open_deadline) {
      for (std::size_t index = 0; index < next_; ++index) {
        if (idles_[index].state == State::setup) end(index, "no handshake before the deadline");
      }
      next_ = idles_.size();
      continue;
    }
    if (phase_ == Phase::settling && now >= settle_end) {
      if (pid) rss_after = process_rss_kib(*pid);
      phase_ = Phase::holding;
    }
    if (phase_ == Phase::holding && now >= hold_end) {
      phase_ = Phase::closing;
      close_deadline = now + seconds_to_ns(kGraceSeconds);
      for (std::size_t index = 0; index < idles_.size(); ++index) {
        Idle& idle = idles_[index];
        if (idle.state != State::open) continue;
        idle.state = State::closing;
        if (!write_close(idle)) {
          end(index, idle.link.stream().error());
        } else {
          update_events(index);
        }
      }
    }
    if (phase_ == Phase::closing && (live_ == 0 || now >= close_deadline)) break;
    if (progress.due(now)) {
      char line[160];
      std::snprintf(line, sizeof line, "idle: %d/%d open, %llu errors", opened_, options_.connections,
                    static_cast<unsigned long long>(errors_));
      progress.print(line);
    }
  }
  for (Idle& idle : idles_) idle.link.close();

  std::optional<double> per_connection;
  if (rss_before && rss_after && opened_ > 0) {
    per_connection = static_cast<double>(*rss_after - *rss_before) / opened_;
  }
  const auto as_int = [](std::optional<long> value) -> std::optional<std::int64_t> {
    if (!value) return std::nullopt;
    return static_cast<std::int64_t>(*value);
  };
  JsonObject json;
  json.add("mode", "idle")
      .add("url", options_.url)
      .add("connections", options_.connections)
      .add("opened", opened_)
      .add("open_s", static_cast<double>(all_open_at - start) / 1e9)
      .add("hold_s", options_.hold)
      .add("server_rss_kib_before", as_int(rss_before))
      .add("server_rss_kib_after", as_int(rss_after))
      .add("kib_per_connection", per_connection)
      .add("errors", errors_);
  print_result(json);
  return errors_ > 0 || opened_ == 0 ? 1 : 0;
}

}  // namespace

int run_idle(const IdleOptions& options) {
  const long limit = raise_file_limit();
  try {
    // A few descriptors for stdio, epoll and the like.
    if (limit > 0 && options.connections > limit - 16) {
      throw std::invalid_argument("--connections " + std::to_string(options.connections) +
                                  " needs more file descriptors than the limit allows (" +
                                  std::to_string(limit) + "); raise it with ulimit -n");
    }
    const Target target = resolve_target(options.url, options.allow_hosts);
    if (target.secure) throw std::invalid_argument("idle mode speaks ws:// only");
    IdleRun run(options, target);
    return run.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "faye-ws bench: %s\n", error.what());
    return 2;
  }
}

}  // namespace faye::load
