// The reference every driver benchmark is compared with, memcpy of the same
// number of bytes, and a main that prints, after Google Benchmark's own
// output, one table: throughput in GB/s (10^9 bytes of payload per second) and
// the ratio to the memcpy of the same size measured in the same run.
//
// Usage: faye_bench_micro [Google Benchmark flags]. With
// --benchmark_repetitions=N the table uses the median of the N runs.
// Google Benchmark's display is always the console one (a file report can
// still be asked for with --benchmark_out).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bench_peer.hpp"

namespace faye::bench {
namespace {

// Copies between two buffers that stay in cache at the smaller sizes, like
// the parse benchmarks' single input buffer.
void BM_memcpy(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> src = binary_payload(size);
  std::vector<std::uint8_t> dst(size);
  for (auto _ : state) {
    benchmark::DoNotOptimize(src.data());
    std::memcpy(dst.data(), src.data(), size);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}
BENCHMARK(BM_memcpy)->Name("memcpy")->Apply(message_sizes);

constexpr const char* kReference = "memcpy";

// Shows the usual console output and keeps every run's throughput.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  struct Row {
    std::string name;
    std::int64_t size = 0;
    std::vector<double> bytes_per_second;  // one per repetition
    double median_aggregate = 0;           // Google Benchmark's, when reported
  };

  using ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) {
        ++errors_;
        continue;
      }
      bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type != Run::RT_Iteration && !median) continue;
      auto memory = run.counters.find("memory_per_connection");
      if (memory != run.counters.end()) memory_[run.run_name.function_name] = memory->second.value;
      auto rate = run.counters.find("bytes_per_second");
      if (rate == run.counters.end()) continue;
      std::string key = run.run_name.function_name + "/" + run.run_name.args;
      auto [it, added] = index_.try_emplace(key, rows_.size());
      if (added) {
        rows_.push_back({run.run_name.function_name, std::stoll(run.run_name.args), {}, 0});
      }
      Row& row = rows_[it->second];
      if (median) {
        row.median_aggregate = rate->second.value;
      } else {
        row.bytes_per_second.push_back(rate->second.value);
      }
    }
  }

  int errors() const { return errors_; }
  const std::vector<Row>& rows() const { return rows_; }
  const std::map<std::string, double>& memory() const { return memory_; }

 private:
  std::vector<Row> rows_;
  std::map<std::string, double> memory_;  // bytes per connection, by benchmark
  std::map<std::string, std::size_t> index_;
  int errors_ = 0;
};

double median(const RatioReporter::Row& row) {
  if (row.median_aggregate > 0) return row.median_aggregate;
  std::vector<double> values = row.bytes_per_second;
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string size_label(std::int64_t size) {
  if (size >= (1 << 20) && size % (1 << 20) == 0) return std::to_string(size >> 20) + " MiB";
  if (size >= (1 << 10) && size % (1 << 10) == 0) return std::to_string(size >> 10) + " KiB";
  return std::to_string(size) + " B";
}

// The aims, judged at 64 KiB and up (below that the per-frame cost,
// not the per-byte cost, dominates). Printed, never enforced.
struct Goal {
  const char* name;
  double ratio;
  const char* what;
};
constexpr Goal kGoals[] = {
    {"parse/binary", 0.5, "unmasking binary"},
    {"mask_in_place", 0.5, "unmasking alone"},
    {"parse/text_ascii", 0.3, "validated ASCII text"},
    {"utf8/multibyte", 0.3, "validating multi-byte text"},
    {"parse/text_utf8", 0.3, "validated multi-byte text"},
};
constexpr std::int64_t kGoalMinSize = 64 << 10;

// permessage-deflate echo rows are compared with raw zlib doing the same
// work, not with memcpy.
constexpr std::string_view kDeflateFamily = "deflate_echo/";
constexpr std::string_view kZlibFamily = "zlib_echo/";

bool in_family(const std::string& name, std::string_view family) {
  return name.compare(0, family.size(), family) == 0;
}

void print_deflate_table(const std::vector<RatioReporter::Row>& rows,
                         const std::map<std::string, double>& memory) {
  std::map<std::string, double> zlib;  // by payload kind + size
  for (const auto& row : rows) {
    if (in_family(row.name, kZlibFamily)) {
      zlib[row.name.substr(kZlibFamily.size()) + "/" + std::to_string(row.size)] = median(row);
    }
  }
  bool header = false;
  for (const auto& row : rows) {
    if (!in_family(row.name, kDeflateFamily)) continue;
    if (!header) {
      std::printf("\n%-26s %8s %9s %9s\n", "permessage-deflate echo", "size", "MB/s", "x zlib");
      header = true;
    }
    double rate = median(row);
    auto ref = zlib.find(row.name.substr(kDeflateFamily.size()) + "/" + std::to_string(row.size));
    if (ref == zlib.end() || ref->second <= 0) {
      std::printf("%-26s %8s %9.1f %9s\n", row.name.c_str(), size_label(row.size).c_str(),
                  rate / 1e6, "-");
    } else {
      std::printf("%-26s %8s %9.1f %9.2f\n", row.name.c_str(), size_label(row.size).c_str(),
                  rate / 1e6, rate / ref->second);
    }
  }
  if (header) {
    std::printf(
        "deflate_echo/*: a server parses, inflates and echoes a compressed message, compressed\n"
        "again; zlib_echo/*: raw zlib inflating and deflating the same bytes (the reference).\n");
  }
  if (!memory.empty()) {
    std::printf("\n%-32s %12s\n", "memory per connection", "KiB");
    for (const auto& [name, bytes] : memory) {
      std::printf("%-32s %12.1f\n", name.c_str(), bytes / 1024);
    }
  }
}

void print_table(const std::vector<RatioReporter::Row>& rows) {
  std::map<std::int64_t, double> reference;
  for (const auto& row : rows) {
    if (row.name == kReference) reference[row.size] = median(row);
  }
  std::printf("\n%-26s %8s %9s %9s\n", "benchmark", "size", "GB/s", "x memcpy");
  std::map<std::string, std::vector<double>> goal_ratios;
  for (const auto& row : rows) {
    if (in_family(row.name, kDeflateFamily) || in_family(row.name, kZlibFamily)) continue;
    double rate = median(row);
    auto ref = reference.find(row.size);
    if (ref == reference.end() || ref->second <= 0) {
      std::printf("%-26s %8s %9.2f %9s\n", row.name.c_str(), size_label(row.size).c_str(),
                  rate / 1e9, "-");
      continue;
    }
    double ratio = rate / ref->second;
    std::printf("%-26s %8s %9.2f %9.2f\n", row.name.c_str(), size_label(row.size).c_str(),
                rate / 1e9, ratio);
    if (row.size >= kGoalMinSize) goal_ratios[row.name].push_back(ratio);
  }
  std::printf(
      "\nparse/*: re-parses one buffer (XOR toggles it between masked and plain, both valid);\n"
      "parse_refill/*: copies the masked frame into the input buffer first, time included.\n");
  for (const Goal& goal : kGoals) {
    auto it = goal_ratios.find(goal.name);
    if (it == goal_ratios.end()) continue;
    double worst = *std::min_element(it->second.begin(), it->second.end());
    std::printf("aim: %s (%s) >= %.1fx memcpy at %s and up: worst %.2fx, %s\n", goal.what,
                goal.name, goal.ratio, size_label(kGoalMinSize).c_str(), worst,
                worst >= goal.ratio ? "met" : "MISSED");
  }
}

}  // namespace
}  // namespace faye::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  faye::bench::RatioReporter reporter(benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  faye::bench::print_table(reporter.rows());
  faye::bench::print_deflate_table(reporter.rows(), reporter.memory());
  std::fflush(stdout);
  return reporter.errors() == 0 ? 0 : 1;
}
