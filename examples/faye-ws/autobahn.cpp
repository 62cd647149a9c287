// faye-ws autobahn: the client side of an Autobahn|Testsuite run. It speaks
// the fuzzing server's URL protocol: /getCaseCount (the count arrives as a
// text message), then /runCase?case=N&agent=NAME for each case, echoing every
// message with its type until the server closes, and finally
// /updateReports?agent=NAME so that the server writes its reports. Autobahn
// judges the behaviour; this tool reports how each case ended.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <faye/driver/permessage_deflate.hpp>
#include <faye/net/event_loop.hpp>
#include <faye/websocket.hpp>

#include "commands.hpp"

namespace faye_ws {
namespace {

using namespace std::chrono_literals;

struct AutobahnOptions {
  std::string url = "ws://127.0.0.1:9001";
  std::string agent = "faye-websocket";
  std::string cases;  // "N-M", "N", or empty for all
  unsigned timeout_seconds = 120;
  bool no_deflate = false;
};

void print_line(const std::string& line) {
  std::string text = line + '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// RFC 3986 2.3: everything but unreserved characters is percent-encoded.
std::string percent_encode(std::string_view text) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', digits[byte >> 4], digits[byte & 0x0F]};
    }
  }
  return out;
}

std::optional<unsigned> parse_number(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct CaseRange {
  unsigned first = 1;
  unsigned last = 0;  // 0: up to the server's count
};

std::optional<CaseRange> parse_cases(std::string_view text) {
  if (text.empty()) return CaseRange{};
  const auto dash = text.find('-');
  const auto first = parse_number(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : parse_number(text.substr(dash + 1));
  if (!first || !last || *first == 0 || *last < *first) return std::nullopt;
  return CaseRange{*first, *last};
}

// One connection to the fuzzing server, run until it closes or times out.
struct Session {
  std::optional<faye::CloseEvent> closed;
  std::string error;
  std::string first_message;
  bool timed_out = false;
};

Session run_session(faye::net::EventLoop& loop, const std::string& url,
                    const faye::WebSocket::Client::Options& client, bool echo,
                    std::chrono::seconds timeout) {
  auto result = std::make_shared<Session>();
  std::shared_ptr<faye::WebSocket> ws;
  try {
    ws = faye::WebSocket::Client::connect(loop, url, client);
  } catch (const std::invalid_argument& error) {
    result->error = error.what();
    return *result;
  }
  // Handlers hold the result by shared_ptr: a socket abandoned after a
  // timeout may still report its close later, while the next case runs.
  faye::WebSocket* socket = ws.get();
  ws->onmessage = [socket, result, echo](const faye::MessageEvent& event) {
    if (echo) {
      socket->send(event.data);
    } else if (result->first_message.empty()) {
      result->first_message = event.data.to_string();
    }
  };
  ws->onerror = [result](const faye::ErrorEvent& event) {
    if (result->error.empty()) result->error = event.message;
  };
  ws->onclose = [result](const faye::CloseEvent& event) { result->closed = event; };

  if (!loop.run_until([&] { return result->closed.has_value(); }, timeout)) {
    // Give the closing handshake its own bounded time (close_timeout drops
    // the connection after that), then move on regardless.
    result->timed_out = true;
    ws->close(faye::driver::close_code::normal);
    loop.run_until([&] { return result->closed.has_value(); }, client.close_timeout + 1s);
  }
  return *result;
}

int run_autobahn(const AutobahnOptions& options) {
  const CaseRange range = parse_cases(options.cases).value_or(CaseRange{});  // checked by CLI11
  std::string base = options.url;
  while (base.ends_with('/')) base.pop_back();
  const std::string agent = percent_encode(options.agent);
  const std::chrono::seconds timeout(options.timeout_seconds);

  faye::WebSocket::Client::Options client;
  // Autobahn's 9.x cases send messages of up to 16 MiB.
  client.max_length = std::size_t{64} << 20;
  if (!options.no_deflate) {
    client.extensions = {std::make_shared<faye::driver::PermessageDeflate>()};
  }

  faye::net::EventLoop loop;
  Session count_session = run_session(loop, base + "/getCaseCount", client, false, timeout);
  const auto count = parse_number(count_session.first_message);
  if (!count) {
    print_line("cannot get the case count from " + base + "/getCaseCount" +
               (count_session.error.empty() ? "" : ": " + count_session.error));
    return 1;
  }
  const unsigned last = range.last == 0 ? *count : std::min(range.last, *count);
  print_line("agent " + options.agent + ": running cases " + std::to_string(range.first) + " to " +
             std::to_string(last) + " of " + std::to_string(*count));

  unsigned run = 0, clean = 0, timed_out = 0;
  for (unsigned number = range.first; number <= last; ++number) {
    const std::string url = base + "/runCase?case=" + std::to_string(number) + "&agent=" + agent;
    Session session = run_session(loop, url, client, true, timeout);
    ++run;
    std::string line = "case " + std::to_string(number) + ": ";
    if (session.timed_out) {
      ++timed_out;
      line += "timed out after " + std::to_string(timeout.count()) + " s";
    } else if (session.closed) {
      line += "closed " + std::to_string(session.closed->code);
      if (session.closed->was_clean) {
        ++clean;
      } else {
        line += " (not clean)";
      }
    } else {
      line += "failed";
    }
    if (!session.error.empty()) line += ": " + session.error;
    print_line(line);
  }

  Session update =
      run_session(loop, base + "/updateReports?agent=" + agent, client, false, timeout);
  const bool updated = update.closed && update.error.empty() && !update.timed_out;
  print_line(
      std::to_string(run) + " cases run: " + std::to_string(clean) + " closed cleanly, " +
      std::to_string(run - clean - timed_out) + " not cleanly, " + std::to_string(timed_out) +
      " timed out; reports " +
      (updated ? "updated" : "NOT updated" + (update.error.empty() ? "" : ": " + update.error)));
  loop.run_for(100ms);  // let the last connections release themselves
  return updated && timed_out == 0 ? 0 : 1;
}

}  // namespace

Command add_autobahn(CLI::App& app) {
  auto options = std::make_shared<AutobahnOptions>();
  CLI::App* autobahn = app.add_subcommand(
      "autobahn", "Run the cases of an Autobahn|Testsuite fuzzing server as an echo client");
  autobahn->add_option("--url", options->url, "The fuzzing server's ws:// URL")
      ->capture_default_str();
  autobahn->add_option("--agent", options->agent, "Agent name in the server's reports")
      ->capture_default_str();
  autobahn->add_option("--cases", options->cases, "Only these cases: N or N-M (default: all)")
      ->check(
          [](const std::string& value) -> std::string {
            return parse_cases(value) ? "" : "must be N or N-M, counting from 1";
          },
          "N-M");
  autobahn
      ->add_option("--timeout", options->timeout_seconds,
                   "Seconds a case may take before it is abandoned")
      ->check(CLI::Range(1u, 86400u))
      ->capture_default_str();
  autobahn->add_flag("--no-deflate", options->no_deflate, "Don't offer permessage-deflate");
  return {autobahn, [options] { return run_autobahn(*options); }};
}

}  // namespace faye_ws
