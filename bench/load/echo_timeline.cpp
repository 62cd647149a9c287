#include "echo_timeline.hpp"

#include <cstdio>
#include <utility>

namespace faye::load {

namespace {
// Time after the window for connections to close before the run gives up on them.
constexpr double kGraceSeconds = 3;
}  // namespace

EchoTimeline::EchoTimeline(const EchoOptions& options, std::string label)
    : options_(options), label_(std::move(label)), cpu_(options.server_pid) {}

void EchoTimeline::start() {
  window_start_ = now_ns() + seconds_to_ns(options_.warmup);
  window_end_ = window_start_ + seconds_to_ns(options_.duration);
  deadline_ = window_end_ + seconds_to_ns(kGraceSeconds);
}

EchoTimeline::Step EchoTimeline::tick(std::uint64_t total_messages, bool all_gone,
                                      bool none_live, EchoResult& result) {
  const std::uint64_t now = now_ns();
  Step step = Step::go_on;
  if (phase_ == Phase::warmup && now >= window_start_) {
    phase_ = Phase::measuring;
    measured_from_ = now;
    messages_before_ = total_messages;
    cpu_.start();
  }
  if (phase_ == Phase::measuring && (now >= window_end_ || all_gone)) {
    cpu_.stop();
    result.duration_s = static_cast<double>(now - measured_from_) / 1e9;
    result.messages = total_messages - messages_before_;
    result.server_cpu_s = cpu_.seconds();
    phase_ = Phase::closing;
    step = Step::begin_closing;
  }
  if (phase_ == Phase::warmup && all_gone) phase_ = Phase::closing;
  if (phase_ == Phase::closing && (none_live || now >= deadline_)) return Step::stop;
  if (progress_.due(now)) {
    char line[160];
    std::snprintf(line, sizeof line, "%s: %.0f msgs/s, %d/%d connected, %llu errors%s",
                  label_.c_str(), static_cast<double>(total_messages - progress_messages_),
                  result.connected, options_.connections,
                  static_cast<unsigned long long>(result.errors),
                  phase_ == Phase::warmup ? " (warming up)" : "");
    progress_.print(line);
    progress_messages_ = total_messages;
  }
  return step;
}

}  // namespace faye::load
