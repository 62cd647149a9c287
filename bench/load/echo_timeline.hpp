// The timeline of an echo run, the same for both engines: warm-up, the
// measured window (with the server's CPU time sampled over it), closing, and
// a hard deadline after which the run ends whatever the connections do.
// The engine calls tick() after each turn of its loop and acts on the answer.
#pragma once

#include <cstdint>
#include <string>

#include "clock.hpp"
#include "echo_report.hpp"
#include "options.hpp"
#include "process_stats.hpp"
#include "report.hpp"

namespace faye::load {

class EchoTimeline {
 public:
  enum class Phase { warmup, measuring, closing };
  enum class Step { go_on, begin_closing, stop };

  // `label` names the engine in the progress line ("echo", "echo (library)").
  EchoTimeline(const EchoOptions& options, std::string label);
  // The run begins: warm-up from now.
  void start();

  Phase phase() const { return phase_; }
  bool measuring() const { return phase_ == Phase::measuring; }
  bool closing() const { return phase_ == Phase::closing; }

  // `all_gone`: every connection was tried and none is left. At the end of
  // the window it fills in `result`'s duration, messages and server CPU and
  // answers begin_closing (once); stop when no connection is live or past the
  // deadline.
  Step tick(std::uint64_t total_messages, bool all_gone, bool none_live, EchoResult& result);

 private:
  const EchoOptions& options_;
  std::string label_;
  ServerCpuMeter cpu_;
  Progress progress_;
  Phase phase_ = Phase::warmup;
  std::uint64_t window_start_ = 0;
  std::uint64_t window_end_ = 0;
  std::uint64_t deadline_ = 0;
  std::uint64_t measured_from_ = 0;
  std::uint64_t messages_before_ = 0;
  std::uint64_t progress_messages_ = 0;
};

}  // namespace faye::load
