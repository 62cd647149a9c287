#include "report.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>

#include "clock.hpp"

namespace faye::load {

void JsonObject::key(std::string_view name) {
  if (text_.size() > 1) text_ += ',';
  text_ += '"';
  text_ += name;
  text_ += "\":";
}

JsonObject& JsonObject::add(std::string_view name, std::string_view value) {
  key(name);
  text_ += '"';
  for (const char c : value) {
    if (c == '"' || c == '\\') {
      text_ += '\\';
      text_ += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      text_ += escaped;
    } else {
      text_ += c;
    }
  }
  text_ += '"';
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, bool value) {
  key(name);
  text_ += value ? "true" : "false";
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, std::int64_t value) {
  key(name);
  text_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, double value) {
  key(name);
  if (!std::isfinite(value)) {
    text_ += "null";
    return *this;
  }
  char number[64];
  // Large figures in plain decimals (easier to read than 1.39e+06), small
  // ones with six significant digits.
  std::snprintf(number, sizeof number, std::fabs(value) >= 1000 ? "%.1f" : "%.6g", value);
  text_ += number;
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, std::optional<double> value) {
  if (value) return add(name, *value);
  key(name);
  text_ += "null";
  return *this;
}

JsonObject& JsonObject::add(std::string_view name, std::optional<std::int64_t> value) {
  if (value) return add(name, *value);
  key(name);
  text_ += "null";
  return *this;
}

void print_result(const JsonObject& object) {
  const std::string line = object.str() + '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

void ProblemLog::report(const std::string& message) {
  if (seen_++ < limit_) std::fprintf(stderr, "faye-ws bench: %s\n", message.c_str());
}

ProblemLog::~ProblemLog() {
  if (seen_ > limit_) std::fprintf(stderr, "faye-ws bench: ... and %d more problems\n", seen_ - limit_);
}

Progress::Progress() : enabled_(::isatty(STDERR_FILENO) == 1), next_ns_(now_ns() + 1'000'000'000) {}

bool Progress::due(std::uint64_t now) {
  if (!enabled_ || now < next_ns_) return false;
  next_ns_ = now + 1'000'000'000;
  return true;
}

void Progress::print(const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); }

std::optional<double> ratio(double a, std::optional<double> b) {
  if (!b || *b <= 0) return std::nullopt;
  return a / *b;
}

}  // namespace faye::load
