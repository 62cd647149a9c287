// faye-ws: the command-line face of faye-websocket. One subcommand per file;
// see commands.hpp.
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"faye-ws: WebSocket servers and clients from the command line"};
  app.require_subcommand(1);
  std::vector<faye_ws::Command> commands{faye_ws::add_serve(app), faye_ws::add_connect(app),
                                         faye_ws::add_autobahn(app), faye_ws::add_bench(app)};

  CLI11_PARSE(app, argc, argv);
  for (const faye_ws::Command& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return 1;  // unreachable: require_subcommand(1) has already failed the parse
}
