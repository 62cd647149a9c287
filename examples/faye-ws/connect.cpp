// faye-ws connect: an interactive client, like wscat. Each line read from
// standard input is sent as a message; each message received is printed, with
// a line for open, error and close. End of input closes the socket with 1000
// (after --wait seconds) and the tool exits once the closing handshake is over.
//
// The event loop runs on the main thread; standard input is read on a thread
// of its own, which hands lines to WebSocket::send (thread-safe: it posts to
// the loop). The reader never touches the terminal's file status flags, so a
// shell sharing the terminal is left as it was.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <faye/driver/permessage_deflate.hpp>
#include <faye/driver/utf8.hpp>
#include <faye/net/event_loop.hpp>
#include <faye/websocket.hpp>

#include "commands.hpp"

namespace faye_ws {
namespace {

struct ConnectOptions {
  std::string url;
  std::vector<std::string> protocols;
  std::vector<std::string> headers;  // "Name: value"
  std::string proxy;
  std::string ca_file;
  std::string origin;
  bool insecure = false;
  bool binary = false;
  bool no_deflate = false;
  double wait_seconds = 0;
};

// Each event is one line on stdout, flushed at once so that a pipe sees it.
void print_line(const std::string& line) {
  std::string text = line + '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

void print_problem(const std::string& line) {
  std::string text = "faye-ws connect: " + line + '\n';
  std::fwrite(text.data(), 1, text.size(), stderr);
}

std::string hex(faye::Bytes bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t byte : bytes) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 0x0F]);
  }
  return out;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// Reads standard input on its own thread and sends each line (without its
// line ending) over the socket; at end of input, closes the socket with 1000.
// wake() makes the thread return early, e.g. when the server has closed.
class StdinReader {
 public:
  StdinReader(faye::WebSocket& socket, bool binary, std::chrono::milliseconds linger)
      : socket_(socket), binary_(binary), linger_(linger) {
    if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::runtime_error("cannot create a pipe");
  }
  StdinReader(const StdinReader&) = delete;
  StdinReader& operator=(const StdinReader&) = delete;
  ~StdinReader() {
    wake();
    if (thread_.joinable()) thread_.join();
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  void start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }

  // Thread-safe; idempotent.
  void wake() {
    const char byte = 0;
    [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
  }

 private:
  void run() {
    std::string pending;
    char chunk[64 * 1024];
    for (;;) {
      pollfd entries[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(entries, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      if (entries[1].revents != 0) return;
      if (entries[0].revents == 0) continue;
      const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) break;  // end of input (or an unreadable stdin: the same for us)
      pending.append(chunk, static_cast<std::size_t>(got));
      std::size_t start = 0;
      for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos;
           start = end + 1) {
        send_line(std::string_view(pending).substr(start, end - start));
      }
      pending.erase(0, start);
    }
    if (!pending.empty()) send_line(pending);  // a last line without its newline
    // Messages that arrive after our close frame are dropped, as a browser
    // does: --wait leaves time for the answers to the last lines.
    if (linger_.count() > 0) {
      pollfd wake{wake_[0], POLLIN, 0};
      if (::poll(&wake, 1, static_cast<int>(linger_.count())) > 0) return;
    }
    socket_.close(faye::driver::close_code::normal);
  }

  void send_line(std::string_view line) {
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (binary_) {
      socket_.send(faye::as_bytes(line));
    } else if (faye::driver::is_valid_utf8(faye::as_bytes(line))) {
      socket_.send(line);
    } else {
      print_problem("a line that is not valid UTF-8 was not sent (use --binary)");
    }
  }

  faye::WebSocket& socket_;
  bool binary_;
  std::chrono::milliseconds linger_;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

int run_connect(const ConnectOptions& options) {
  faye::WebSocket::Client::Options client;
  client.protocols = options.protocols;
  for (const std::string& header : options.headers) {
    const auto colon = header.find(':');
    client.headers.add(std::string(trim(std::string_view(header).substr(0, colon))),
                       std::string(trim(std::string_view(header).substr(colon + 1))));
  }
  client.origin = options.origin;
  client.proxy.url = options.proxy;
  client.tls.ca_file = options.ca_file;
  client.tls.insecure = options.insecure;
  if (!options.no_deflate) {
    client.extensions = {std::make_shared<faye::driver::PermessageDeflate>()};
  }

  faye::net::EventLoop loop;
  std::shared_ptr<faye::WebSocket> ws;
  try {
    ws = faye::WebSocket::Client::connect(loop, options.url, client);
  } catch (const std::invalid_argument& error) {
    print_problem(error.what());
    return 1;
  }

  StdinReader reader(*ws, options.binary,
                     std::chrono::milliseconds(std::lround(options.wait_seconds * 1000)));
  bool failed = false;
  std::optional<faye::CloseEvent> closed;
  // The library keeps the socket alive until onclose, then drops the
  // handlers: a raw pointer is valid in each of them.
  faye::WebSocket* socket = ws.get();
  ws->onopen = [socket, &reader](const faye::OpenEvent&) {
    std::string protocol = socket->protocol();
    std::string extensions = socket->extensions();
    print_line("open (protocol: " + (protocol.empty() ? "none" : protocol) +
               ", extensions: " + (extensions.empty() ? "none" : extensions) + ')');
    reader.start();
  };
  ws->onmessage = [](const faye::MessageEvent& event) {
    if (event.data.is_text()) {
      print_line("< " + event.data.to_string());
    } else {
      print_line("< [binary " + std::to_string(event.data.size()) + " bytes] " +
                 hex(event.data.bytes()));
    }
  };
  ws->onerror = [&failed](const faye::ErrorEvent& event) {
    failed = true;
    print_line("error: " + event.message);
  };
  ws->onclose = [&closed, &reader](const faye::CloseEvent& event) {
    closed = event;
    print_line("close " + std::to_string(event.code) +
               (event.reason.empty() ? "" : ' ' + event.reason) +
               (event.was_clean ? " (clean)" : " (not clean)"));
    reader.wake();
  };

  loop.run();
  return failed || !closed || !closed->was_clean ? 1 : 0;
}

}  // namespace

Command add_connect(CLI::App& app) {
  auto options = std::make_shared<ConnectOptions>();
  CLI::App* connect = app.add_subcommand(
      "connect",
      "Interactive client: sends each line of standard input, prints what arrives; "
      "end of input closes with 1000");
  connect->add_option("url", options->url, "ws:// or wss:// URL")->required();
  connect->add_option("--protocol", options->protocols,
                      "Subprotocol to offer (repeatable, preferred first)");
  connect
      ->add_option("--header,-H", options->headers,
                   "Extra handshake header 'Name: value' (repeatable)")
      ->check(
          [](const std::string& value) -> std::string {
            const auto colon = value.find(':');
            if (colon == std::string::npos ||
                trim(std::string_view(value).substr(0, colon)).empty())
              return "must be 'Name: value'";
            return "";
          },
          "HEADER");
  connect->add_option("--proxy", options->proxy, "HTTP proxy to tunnel through with CONNECT");
  connect->add_option("--ca", options->ca_file, "Trust these CAs (PEM) instead of the system's")
      ->check(CLI::ExistingFile);
  connect->add_flag("--insecure,-k", options->insecure,
                    "Don't verify the server's certificate (testing only)");
  connect->add_option("--origin", options->origin, "Origin header to send");
  connect->add_flag("--binary,-b", options->binary, "Send lines as binary messages");
  connect
      ->add_option("--wait,-w", options->wait_seconds,
                   "Seconds to keep receiving after end of input before closing")
      ->check(CLI::Range(0.0, 3600.0));
  connect->add_flag("--no-deflate", options->no_deflate, "Don't offer permessage-deflate");
  return {connect, [options] { return run_connect(*options); }};
}

}  // namespace faye_ws
