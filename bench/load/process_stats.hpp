// What the server process costs, read from /proc (Linux): CPU time of the
// whole process (all threads) and its resident memory.
#pragma once

#include <optional>

namespace faye::load {

// utime + stime of the process, in seconds; nullopt if it can't be read.
std::optional<double> process_cpu_seconds(int pid);
// VmRSS of the process, in KiB; nullopt if it can't be read.
std::optional<long> process_rss_kib(int pid);
// Raises our RLIMIT_NOFILE soft limit to the hard limit; returns the new limit.
long raise_file_limit();

}  // namespace faye::load

namespace faye::load {

// Server CPU over the measured window only: start() when measuring begins,
// stop() when it ends. Without a pid, or if /proc can't be read, seconds()
// is empty.
class ServerCpuMeter {
 public:
  explicit ServerCpuMeter(std::optional<int> pid) : pid_(pid) {}
  void start() {
    if (pid_) start_ = process_cpu_seconds(*pid_);
  }
  void stop() {
    if (pid_) stop_ = process_cpu_seconds(*pid_);
  }
  std::optional<double> seconds() const {
    if (!start_ || !stop_) return std::nullopt;
    return *stop_ - *start_;
  }

 private:
  std::optional<int> pid_;
  std::optional<double> start_, stop_;
};

}  // namespace faye::load
