// faye-ws bench: the load generator. Three modes, each a subcommand:
//   echo     many connections keep messages in flight; messages/s, MB/s and
//            round-trip percentiles (--engine raw: a hand-written epoll
//            client; --engine library: faye::WebSocket::Client)
//   connect  handshakes per second and their latency
//   idle     many open connections; the server's memory per connection
// Only loopback servers unless --allow-host names the host. The last line of
// stdout is the result as one JSON object. The engine is in bench/load.
#include <map>
#include <memory>
#include <string>

#include <load/options.hpp>

#include "commands.hpp"

namespace faye_ws {
namespace {

using faye::load::CommonOptions;

void add_common(CLI::App& mode, CommonOptions& options, bool tls) {
  mode.add_option("url", options.url, "ws:// or wss:// URL of an echo server")->required();
  mode.add_option("--server-pid", options.server_pid,
                  "The server's process id, for its CPU time and memory (/proc)");
  if (tls) {
    CLI::Option* ca = mode.add_option("--ca", options.ca_file,
                                      "wss://: trust these CAs (PEM) instead of the system's")
                          ->check(CLI::ExistingFile);
    mode.add_flag("--insecure,-k", options.insecure, "wss://: don't verify the certificate")
        ->excludes(ca);
  }
  mode.add_option("--allow-host", options.allow_hosts,
                  "Allow loading this non-loopback host (repeat the URL's host exactly)");
}

}  // namespace

Command add_bench(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Load generator: echo throughput, handshakes, idle memory");
  bench->require_subcommand(1);

  auto echo = std::make_shared<faye::load::EchoOptions>();
  CLI::App* echo_mode =
      bench->add_subcommand("echo", "Connections keep messages in flight against an echo server");
  add_common(*echo_mode, *echo, true);
  echo_mode->add_option("--connections,-c", echo->connections, "Connections")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  echo_mode->add_option("--size,-s", echo->size, "Payload bytes per message")
      ->capture_default_str()->check(CLI::Range(std::size_t{0}, std::size_t{1} << 30));
  echo_mode->add_flag("--binary,-b", echo->binary, "Binary messages (default: text)");
  echo_mode->add_option("--in-flight", echo->in_flight, "Messages outstanding per connection")
      ->capture_default_str()->check(CLI::Range(1, 1'000'000));
  echo_mode->add_option("--duration,-d", echo->duration, "Seconds measured")
      ->capture_default_str()->check(CLI::Range(0.1, 86400.0));
  echo_mode->add_option("--warmup", echo->warmup, "Seconds before measuring")
      ->capture_default_str()->check(CLI::Range(0.0, 3600.0));
  echo_mode->add_flag("--deflate", echo->deflate,
                      "Offer permessage-deflate; client_no_context_takeover");
  echo_mode->add_option("--engine", echo->engine, "raw (hand-written epoll client) or library")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, faye::load::Engine>{{"raw", faye::load::Engine::raw},
                                                    {"library", faye::load::Engine::library}}))
      ->default_str("raw");

  auto connect = std::make_shared<faye::load::ConnectOptions>();
  CLI::App* connect_mode = bench->add_subcommand(
      "connect", "Loops of connect, handshake, close: handshakes per second and latency");
  add_common(*connect_mode, *connect, true);
  connect_mode->add_option("--concurrency", connect->concurrency, "Connections at once")
      ->capture_default_str()->check(CLI::Range(1, 100'000));
  connect_mode->add_option("--duration,-d", connect->duration, "Seconds measured")
      ->capture_default_str()->check(CLI::Range(0.1, 86400.0));

  auto idle = std::make_shared<faye::load::IdleOptions>();
  CLI::App* idle_mode = bench->add_subcommand(
      "idle", "Opens many connections and holds them: the server's memory per connection");
  add_common(*idle_mode, *idle, false);
  idle_mode->add_option("--connections,-c", idle->connections, "Connections")
      ->capture_default_str()->check(CLI::Range(1, 10'000'000));
  idle_mode->add_option("--hold", idle->hold, "Seconds to hold them open")
      ->capture_default_str()->check(CLI::Range(0.0, 86400.0));

  return {bench, [=] {
            if (echo_mode->parsed()) {
              return echo->engine == faye::load::Engine::raw ? faye::load::run_echo_raw(*echo)
                                                             : faye::load::run_echo_library(*echo);
            }
            if (connect_mode->parsed()) return faye::load::run_connect(*connect);
            return faye::load::run_idle(*idle);
          }};
}

}  // namespace faye_ws
