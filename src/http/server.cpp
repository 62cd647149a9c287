#include "faye/http/server.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "faye/net/event_loop.hpp"
#include "faye/net/listener.hpp"
#include "faye/net/shutdown.hpp"
#include "faye/net/timer.hpp"
#include "faye/net/tls.hpp"
#include "server_connection.hpp"

namespace faye::http {
namespace {

using detail::ServerConfig;
using detail::ServerConnection;

// While stopping, how often a loop looks whether its connections are gone.
constexpr std::chrono::milliseconds shutdown_poll_interval{10};

// One thread's share of the server: its loop, its listener, the connections
// it accepted. Everything but stop() runs on the loop's thread (listen()
// runs before the thread starts).
class Worker final : public detail::ConnectionOwner {
 public:
  explicit Worker(const ServerConfig& config)
      : config_(config), listener_(loop_), poll_timer_(loop_), deadline_(loop_) {}

  std::error_code listen(net::ListenOptions options, std::string* what) {
    return listener_.listen(
        std::move(options),
        [this](std::shared_ptr<net::Connection> connection) { accept(std::move(connection)); },
        // Failed TLS handshakes and transient accept() errors: the listener
        // carries on, and there is no one to tell.
        [](std::error_code) {}, what);
  }

  std::uint16_t port() const noexcept { return listener_.port(); }

  // The thread's body.
  void run() {
    loop_.run();
    // Stopped, or the shutdown deadline passed: abort whatever is left and
    // let the handlers that this posts (the WebSockets' onclose) run here,
    // on the loop's thread, rather than never.
    listener_.stop();
    poll_timer_.cancel();
    deadline_.cancel();
    abort_all();
    loop_.poll();
    connections_.clear();
    loop_.poll();
  }

  // Thread-safe.
  void stop(std::chrono::milliseconds timeout) {
    // Seen at once by a response being made on the loop's thread, before
    // begin_shutdown gets its turn.
    stopping_.store(true, std::memory_order_relaxed);
    loop_.post([this, timeout] { begin_shutdown(timeout); });
  }

  const ServerConfig& config() const noexcept override { return config_; }
  bool stopping() const noexcept override { return stopping_.load(std::memory_order_relaxed); }

  void release(ServerConnection& connection) override {
    // Destroyed on a later turn: the caller is one of its methods.
    if (auto doomed = connections_.remove(connection)) loop_.defer([doomed = std::move(doomed)] {});
  }

  RequestParser take_parser() override {
    if (!spare_parser_) return RequestParser(config_.parser);
    RequestParser parser = std::move(*spare_parser_);
    spare_parser_.reset();
    return parser;
  }

  void give_back(RequestParser parser) noexcept override {
    if (spare_parser_) return;
    parser.reset();
    spare_parser_.emplace(std::move(parser));
  }

  void hijacked() override {
    // Taken over while stopping: the new owner (a WebSocket accepted during
    // the stop) missed the first notification.
    if (shutdown_begun_) net::notify_shutdown(loop_);
  }

 private:
  void accept(std::shared_ptr<net::Connection> connection) {
    if (stopping()) {
      connection->abort();
      return;
    }
    auto handler = std::make_shared<ServerConnection>(*this, std::move(connection),
                                                      listener_.accepted_peer());
    ServerConnection& ref = *handler;
    connections_.insert(std::move(handler));
    ref.start();
  }

  void begin_shutdown(std::chrono::milliseconds timeout) {
    if (shutdown_begun_) return;
    shutdown_begun_ = true;
    listener_.stop();
    // WebSockets and EventSources registered on this loop say goodbye.
    net::notify_shutdown(loop_);
    // shutdown() may release (remove) connections: iterate over a copy.
    for (const auto& connection : connections_.snapshot()) connection->shutdown();
    deadline_.start(timeout, [this] { abort_all(); });
    check_done();
  }

  void check_done() {
    if (all_finished()) {
      loop_.stop();
      return;
    }
    poll_timer_.start(shutdown_poll_interval, [this] { check_done(); });
  }

  bool all_finished() const {
    if (!connections_.all_of([](const ServerConnection& c) { return c.finished(); })) return false;
    // Those the application took over among them.
    for (const auto& connection : loop_.connections()) {
      if (connection->is_open() || connection->buffered_amount() > 0) return false;
    }
    return true;
  }

  void abort_all() {
    for (const auto& connection : connections_.snapshot()) connection->abort();
    for (const auto& connection : loop_.connections()) {
      if (connection->is_open()) connection->abort();
    }
  }

  const ServerConfig& config_;
  net::EventLoop loop_;
  net::Listener listener_;
  net::Timer poll_timer_;
  net::Timer deadline_;
  detail::ServerConnectionList connections_;
  std::optional<RequestParser> spare_parser_;  // see take_parser()
  std::atomic<bool> stopping_{false};
  bool shutdown_begun_ = false;
};

}  // namespace

struct Server::State {
  ServerOptions options;
  ServerConfig config;
  std::mutex mutex;  // start, stop, and the thread list
  std::mutex join_mutex;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::thread> threads;
  std::atomic<std::uint16_t> port{0};
  bool started = false;
  bool stopped = false;
};

Server::Server(ServerOptions options, Application application) : state_(std::make_unique<State>()) {
  State& state = *state_;
  state.options = std::move(options);
  state.config.application = std::move(application);
  state.config.parser.max_header_bytes = state.options.max_header_bytes;
  state.config.parser.max_header_count = state.options.max_header_count;
  state.config.parser.max_body_size = state.options.max_body_size;
  state.config.request_timeout = state.options.request_timeout;
  state.config.keep_alive_timeout = state.options.keep_alive_timeout;
  state.config.max_pending_output = state.options.max_pending_output;
  state.config.server_name = state.options.server_name;
}

Server::~Server() {
  stop();
  wait();
}

void Server::start() {
  State& state = *state_;
  std::lock_guard lock(state.mutex);
  if (state.started || state.stopped) return;
  const ServerOptions& options = state.options;

  net::TlsContext tls;
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      throw std::system_error(std::make_error_code(std::errc::invalid_argument),
                              "TLS needs both tls_cert_file and tls_key_file");
    }
    std::error_code ec;
    std::string what;
    tls = net::make_server_context(
        {.cert_file = options.tls_cert_file, .key_file = options.tls_key_file}, ec, &what);
    if (!tls) throw std::system_error(ec, what);
  }

  const unsigned count = std::max(1u, options.threads);
  std::vector<std::unique_ptr<Worker>> workers;
  std::uint16_t port = options.port;
  for (unsigned i = 0; i < count; ++i) {
    auto worker = std::make_unique<Worker>(state.config);
    net::ListenOptions listen;
    listen.host = options.host;
    listen.port = port;
    // One listening socket per loop on the same port: the kernel spreads
    // the connections across them.
    listen.reuse_port = count > 1;
    if (options.defer_accept) {
      listen.defer_accept =
          std::max(std::chrono::seconds(1),
                   std::chrono::ceil<std::chrono::seconds>(options.request_timeout));
    }
    listen.tls = tls;
    listen.connection.write_buffer_limit = options.max_buffered_bytes;
    std::string what;
    if (auto ec = worker->listen(std::move(listen), &what)) throw std::system_error(ec, what);
    // Port 0: the first listener picks one, the others join it.
    if (i == 0) port = worker->port();
    workers.push_back(std::move(worker));
  }

  state.port = port;
  state.workers = std::move(workers);
  state.started = true;
  for (auto& worker : state.workers) {
    state.threads.emplace_back([w = worker.get()] { w->run(); });
  }
}

void Server::run() {
  start();
  wait();
}

void Server::stop() {
  State& state = *state_;
  std::lock_guard lock(state.mutex);
  if (state.stopped) return;
  // Before start(): start() will then do nothing, so that a stop requested
  // (by a signal handler thread) while run() begins is not lost.
  state.stopped = true;
  for (auto& worker : state.workers) worker->stop(state.options.shutdown_timeout);
}

void Server::wait() {
  State& state = *state_;
  // A second waiter blocks here until the first has joined everything.
  std::lock_guard join_lock(state.join_mutex);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(state.mutex);
    threads = std::move(state.threads);
    state.threads.clear();
  }
  for (auto& thread : threads) thread.join();
}

std::uint16_t Server::port() const {
  return state_->port.load();
}

const ServerOptions& Server::options() const {
  return state_->options;
}

}  // namespace faye::http
