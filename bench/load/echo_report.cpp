#include "echo_report.hpp"

#include "report.hpp"

namespace faye::load {

int finish_echo(const EchoOptions& options, const EchoResult& result) {
  const double seconds = result.duration_s > 0 ? result.duration_s : 1;
  const double messages = static_cast<double>(result.messages);
  // MB of payload echoed (one direction), 10^6 bytes.
  const double megabytes = messages * static_cast<double>(options.size) / 1e6;
  const bool measured = result.latency.count() > 0;
  const auto micros = [&](double fraction) -> std::optional<double> {
    if (!measured) return std::nullopt;
    return static_cast<double>(result.latency.percentile(fraction)) / 1e3;
  };
  JsonObject json;
  json.add("mode", "echo")
      .add("engine", options.engine == Engine::raw ? "raw" : "library")
      .add("url", options.url)
      .add("connections", options.connections)
      .add("connected", result.connected)
      .add("size", static_cast<std::int64_t>(options.size))
      .add("binary", options.binary)
      .add("in_flight", options.in_flight)
      .add("deflate", options.deflate)
      .add("deflate_agreed", result.deflate_agreed)
      .add("duration_s", result.duration_s)
      .add("messages", result.messages)
      .add("msgs_per_s", messages / seconds)
      .add("mb_per_s", megabytes / seconds)
      .add("p50_us", micros(0.5))
      .add("p99_us", micros(0.99))
      .add("p999_us", micros(0.999))
      .add("server_cpu_s", result.server_cpu_s)
      .add("msgs_per_server_cpu_s", ratio(messages, result.server_cpu_s))
      .add("mb_per_server_cpu_s", ratio(megabytes, result.server_cpu_s))
      .add("errors", result.errors);
  print_result(json);
  return result.errors > 0 || result.connected == 0 ? 1 : 0;
}

}  // namespace faye::load
