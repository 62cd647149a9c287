// The subcommands of `faye-ws`. Each lives in its own file and registers
// itself on the main app; main() runs the one that was parsed.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace faye_ws {

struct Command {
  CLI::App* app;             // the subcommand, as registered on the main app
  std::function<int()> run;  // runs it with the parsed options; returns the exit status
};

// faye-ws serve: the echo server with the demo page (serve.cpp).
Command add_serve(CLI::App& app);
// faye-ws connect: an interactive client, like wscat (connect.cpp).
Command add_connect(CLI::App& app);
// faye-ws autobahn: runs an Autobahn|Testsuite fuzzing server's cases (autobahn.cpp).
Command add_autobahn(CLI::App& app);
// faye-ws bench: the load generator (bench.cpp; its engine is bench/load).
Command add_bench(CLI::App& app);

}  // namespace faye_ws
