// How results leave the generator: one JSON object as the last line of
// stdout (for bench/compare and other scripts), progress once a second on
// stderr when a person is watching, and the first few problems on stderr.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faye::load {

// A flat JSON object built field by field, in the order added.
class JsonObject {
 public:
  JsonObject& add(std::string_view name, std::string_view value);
  JsonObject& add(std::string_view name, const char* value) { return add(name, std::string_view(value)); }
  JsonObject& add(std::string_view name, bool value);
  JsonObject& add(std::string_view name, std::int64_t value);
  JsonObject& add(std::string_view name, int value) { return add(name, std::int64_t{value}); }
  JsonObject& add(std::string_view name, std::uint64_t value) {
    return add(name, static_cast<std::int64_t>(value));
  }
  JsonObject& add(std::string_view name, double value);
  // null when empty.
  JsonObject& add(std::string_view name, std::optional<double> value);
  JsonObject& add(std::string_view name, std::optional<std::int64_t> value);
  std::string str() const { return text_ + '}'; }

 private:
  void key(std::string_view name);
  std::string text_ = "{";
};

// Prints the object as one line on stdout and flushes.
void print_result(const JsonObject& object);

// Prints "faye-ws bench: <message>" on stderr; after `limit` messages only
// counts them, so a thousand failing connections don't flood the terminal.
class ProblemLog {
 public:
  explicit ProblemLog(int limit = 5) : limit_(limit) {}
  void report(const std::string& message);
  ~ProblemLog();

 private:
  int limit_;
  int seen_ = 0;
};

// Once a second, a progress line on stderr, only when stderr is a terminal.
class Progress {
 public:
  Progress();
  // True when a line is due at `now_ns` (and the clock restarts).
  bool due(std::uint64_t now_ns);
  void print(const std::string& line);

 private:
  bool enabled_;
  std::uint64_t next_ns_ = 0;
};

// a / b, or null when b is unknown or zero.
std::optional<double> ratio(double a, std::optional<double> b);

}  // namespace faye::load
