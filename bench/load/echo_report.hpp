// The result of an echo run, the same JSON for both engines so that they can
// be compared field by field.
#pragma once

#include <cstdint>
#include <optional>

#include "histogram.hpp"
#include "options.hpp"

namespace faye::load {

struct EchoResult {
  int connected = 0;            // connections that completed the handshake
  bool deflate_agreed = false;  // at least one server reply agreed to deflate
  double duration_s = 0;        // the measured window, as it really was
  std::uint64_t messages = 0;   // echoes received in the window
  Histogram latency;            // round trips completed in the window
  std::optional<double> server_cpu_s;
  std::uint64_t errors = 0;     // failed handshakes, wrong echoes, dropped connections
};

// Prints the JSON line; returns the exit status (nonzero on errors or when
// no connection opened).
int finish_echo(const EchoOptions& options, const EchoResult& result);

}  // namespace faye::load
