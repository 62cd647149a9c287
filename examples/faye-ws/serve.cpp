// faye-ws serve: an echo server, and a demo page at / that talks to it from a
// browser. Every message comes back as it was received (text as text, binary
// as binary); the driver echoes the peer's close code. WebSocket upgrades are
// accepted on any path, as Autobahn and most echo clients expect.
// permessage-deflate is agreed to when offered, unless --no-deflate.
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <faye/driver/permessage_deflate.hpp>
#include <faye/http/server.hpp>
#include <faye/websocket.hpp>

#include "commands.hpp"
#include "demo_page.hpp"

namespace faye_ws {
namespace {

struct ServeOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 9292;
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::string tls_cert;
  std::string tls_key;
  std::size_t max_length = faye::driver::default_max_length;
  std::vector<std::string> protocols;
  bool quiet = false;
  bool no_deflate = false;
  bool no_defer_accept = false;
};

// One line per call, so that lines from several loop threads never interleave.
void log_line(const std::string& line) {
  std::string text = "faye-ws serve: " + line + '\n';
  std::fwrite(text.data(), 1, text.size(), stderr);
}

// The server answers HEAD with this response's head alone (RFC 9110 9.3.2).
faye::http::Response demo_page_response() {
  return {200,
          {{"Content-Type", "text/html; charset=utf-8"},
           {"Cache-Control", "no-cache"},
           {"X-Content-Type-Options", "nosniff"}},
          std::string(demo_page)};
}

faye::http::Response text_response(int status, std::string body) {
  return {status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body) + '\n'};
}

void echo(faye::http::Request& request, const faye::WebSocket::Options& options, bool quiet) {
  auto ws = faye::WebSocket::accept(request, options);
  // The library keeps the socket alive until onclose and drops the handlers
  // then, so a raw pointer is valid in every handler.
  faye::WebSocket* socket = ws.get();
  ws->onmessage = [socket](const faye::MessageEvent& event) { socket->send(event.data); };
  if (quiet) return;

  std::string peer = request.remote_address;
  ws->onopen = [socket, peer](const faye::OpenEvent&) {
    std::string protocol = socket->protocol();
    std::string extensions = socket->extensions();
    log_line("open " + peer + ' ' + socket->version() +
             (protocol.empty() ? "" : " protocol=" + protocol) +
             (extensions.empty() ? "" : " extensions=\"" + extensions + '"'));
  };
  ws->onerror = [peer](const faye::ErrorEvent& event) {
    log_line("error " + peer + ' ' + event.message);
  };
  ws->onclose = [peer](const faye::CloseEvent& event) {
    log_line("close " + peer + ' ' + std::to_string(event.code) +
             (event.reason.empty() ? "" : " \"" + event.reason + '"') +
             (event.was_clean ? "" : " (not clean)"));
  };
}

// "http://127.0.0.1:9292/", "https://[::1]:9292/"
std::string base_url(const ServeOptions& options, std::uint16_t port) {
  bool ipv6 = options.host.find(':') != std::string::npos;
  return std::string(options.tls_cert.empty() ? "http" : "https") + "://" +
         (ipv6 ? '[' + options.host + ']' : options.host) + ':' + std::to_string(port) + '/';
}

// A server holds one descriptor per connection; the usual soft limit of 1024
// would refuse the 1025th client although the hard limit allows far more.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run_serve(const ServeOptions& options) {
  raise_descriptor_limit();
  // Block the stop signals in every thread (the server's loop threads inherit
  // this mask); a dedicated thread receives them with sigwait, so no work is
  // ever done inside a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  faye::WebSocket::Options websocket_options;
  websocket_options.protocols = options.protocols;
  websocket_options.max_length = options.max_length;
  if (!options.no_deflate) {
    websocket_options.extensions = {std::make_shared<faye::driver::PermessageDeflate>()};
  }

  auto application = [&](faye::http::Request& request) {
    if (faye::WebSocket::is_websocket(request)) {
      echo(request, websocket_options, options.quiet);
      return faye::http::Response::hijacked();
    }
    if (request.path() != "/") return text_response(404, "Not found");
    if (request.method != "GET" && request.method != "HEAD") {
      faye::http::Response response = text_response(405, "Method not allowed");
      response.headers.add("Allow", "GET, HEAD");
      return response;
    }
    return demo_page_response();
  };
  faye::http::Server server({.host = options.host,
                             .port = options.port,
                             .threads = options.threads,
                             .tls_cert_file = options.tls_cert,
                             .tls_key_file = options.tls_key,
                             .defer_accept = !options.no_defer_accept},
                            application);

  try {
    server.start();
  } catch (const std::exception& error) {
    log_line(error.what());
    return 1;
  }
  std::printf("faye-ws serve: listening on %s (%u thread%s)\n",
              base_url(options, server.port()).c_str(), options.threads,
              options.threads == 1 ? "" : "s");
  std::fflush(stdout);

  // The first signal stops the server gracefully (open WebSockets get 1001);
  // a second one, while that is under way, exits at once.
  std::atomic<bool> finished{false};
  std::thread signal_waiter([&] {
    bool stopping = false;
    for (;;) {
      int signal = 0;
      sigwait(&stop_signals, &signal);
      if (finished) return;
      if (stopping) std::_Exit(128 + signal);
      stopping = true;
      if (!options.quiet) log_line("stopping");
      server.stop();
    }
  });

  server.wait();
  finished = true;
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  return 0;
}

// CLI11 2.1 reads "-1" into an unsigned option as its largest value.
const CLI::Validator positive_integer(
    [](std::string& value) -> std::string {
      bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || value.find_first_not_of('0') == std::string::npos)
        return "must be a positive integer";
      return "";
    },
    "POSITIVE");

}  // namespace

Command add_serve(CLI::App& app) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = app.add_subcommand(
      "serve", "Echo server with a demo page at / (WebSocket upgrades on any path)");
  serve->add_option("--host", options->host, "Address or name to listen on")->capture_default_str();
  serve->add_option("--port,-p", options->port, "TCP port; 0 picks a free one")
      ->capture_default_str();
  serve->add_option("--threads,-t", options->threads, "Event loops, one thread each")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  CLI::Option* cert = serve
                          ->add_option("--tls-cert", options->tls_cert,
                                       "Certificate chain (PEM): serve https and wss")
                          ->check(CLI::ExistingFile);
  CLI::Option* key = serve->add_option("--tls-key", options->tls_key, "Private key (PEM)")
                         ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  serve
      ->add_option("--max-length", options->max_length,
                   "Largest message accepted, in bytes; larger ones close with 1009")
      ->check(positive_integer)
      ->capture_default_str();
  serve->add_option("--protocol", options->protocols,
                    "Subprotocol to agree to when the client offers it (repeatable); "
                    "none by default");
  serve->add_flag("--no-deflate", options->no_deflate, "Don't agree to permessage-deflate");
  serve->add_flag("--no-defer-accept", options->no_defer_accept,
                  "Accept connections before their first bytes arrive (no TCP_DEFER_ACCEPT)");
  serve->add_flag("--quiet,-q", options->quiet, "Don't log connections on stderr");
  return {serve, [options] { return run_serve(*options); }};
}

}  // namespace faye_ws
