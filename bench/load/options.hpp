// What `faye-ws bench` was asked to do: one struct per mode, filled by the
// command line (examples/faye-ws/bench.cpp) and read by the engine.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace faye::load {

struct CommonOptions {
  std::string url;                      // ws:// or wss://
  std::optional<int> server_pid;        // for server CPU and memory figures
  std::string ca_file;                  // wss://: trust these CAs instead of the system's
  bool insecure = false;                // wss://: don't verify the certificate
  std::vector<std::string> allow_hosts; // non-loopback hosts we may load
};

enum class Engine { raw, library };

struct EchoOptions : CommonOptions {
  int connections = 100;
  std::size_t size = 32;     // payload bytes per message
  bool binary = false;
  int in_flight = 64;        // messages outstanding per connection
  double duration = 5;       // seconds measured
  double warmup = 1;         // seconds before measuring
  bool deflate = false;      // offer permessage-deflate; client_no_context_takeover
  Engine engine = Engine::raw;
};

struct ConnectOptions : CommonOptions {
  int concurrency = 50;
  double duration = 5;
};

struct IdleOptions : CommonOptions {
  int connections = 10000;
  double hold = 2;           // seconds all connections stay open
};

// Each runs the whole benchmark, prints progress on stderr (when a terminal)
// and the JSON result as the last line of stdout; returns the exit status.
int run_echo_raw(const EchoOptions& options);
int run_echo_library(const EchoOptions& options);
int run_connect(const ConnectOptions& options);
int run_idle(const IdleOptions& options);

}  // namespace faye::load
