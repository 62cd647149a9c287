// faye-ws bench echo --engine library: the same echo load as the raw engine,
// driven through the library's own client (faye::WebSocket::Client on one
// faye::net::EventLoop), so that its speed can be put next to the raw
// path's. Every echo is checked (type, length, bytes: the library has
// already inflated compressed replies) and timed through a per-connection
// ring of send times, as in the raw engine.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <faye/driver/permessage_deflate.hpp>
#include <faye/net/event_loop.hpp>
#include <faye/websocket.hpp>

#include "clock.hpp"
#include "echo_report.hpp"
#include "echo_timeline.hpp"
#include "frames.hpp"
#include "options.hpp"
#include "process_stats.hpp"
#include "report.hpp"
#include "target.hpp"

namespace faye::load {
namespace {

constexpr int kMaxPendingHandshakes = 500;

struct Peer {
  std::shared_ptr<WebSocket> socket;
  std::unique_ptr<std::uint64_t[]> sent_at;  // ring of send times (0: not sampled), in_flight entries
  std::uint32_t sends = 0;
  std::uint32_t ring_head = 0;
  std::uint32_t ring_count = 0;
  bool opened = false;
  bool failed = false;  // an error was counted already
  bool closed = false;
};


class LibraryEcho {
 public:
  explicit LibraryEcho(const EchoOptions& options)
      : options_(options), peers_(static_cast<std::size_t>(options.connections)),
        payload_(make_payload(options.size, options.binary)), timeline_(options, "echo (library)") {
    client_.tls.ca_file = options.ca_file;
    client_.tls.insecure = options.insecure;
    if (options.deflate) {
      client_.extensions = {std::make_shared<driver::PermessageDeflate>(
          driver::DeflateOptions{.no_context_takeover = true})};
    }
  }
  LibraryEcho(const LibraryEcho&) = delete;
  LibraryEcho& operator=(const LibraryEcho&) = delete;

  int run();

 private:
  void start_more();
  void on_open(std::size_t index);
  void on_message(std::size_t index, const MessageEvent& event);
  void on_close(std::size_t index);
  void fail(std::size_t index, const std::string& problem);
  bool send(Peer& peer);

  const EchoOptions& options_;
  // Declared first, destroyed last: the sockets below live on it.
  net::EventLoop loop_;
  WebSocket::Client::Options client_;
  std::vector<Peer> peers_;
  std::vector<std::uint8_t> payload_;
  ProblemLog problems_;

  EchoTimeline timeline_;
  std::size_t next_ = 0;
  int pending_handshakes_ = 0;
  int live_ = 0;
  std::uint64_t total_messages_ = 0;
  EchoResult result_;
};

void LibraryEcho::start_more() {
  while (pending_handshakes_ < kMaxPendingHandshakes && next_ < peers_.size() &&
         !timeline_.closing()) {
    const std::size_t index = next_++;
    Peer& peer = peers_[index];
    peer.sent_at = std::make_unique<std::uint64_t[]>(static_cast<std::size_t>(options_.in_flight));
    peer.socket = WebSocket::Client::connect(loop_, options_.url, client_);
    ++pending_handshakes_;
    ++live_;
    // The library keeps the socket alive until onclose, then drops these.
    peer.socket->onopen = [this, index](const OpenEvent&) { on_open(index); };
    peer.socket->onmessage = [this, index](const MessageEvent& event) { on_message(index, event); };
    peer.socket->onerror = [this, index](const ErrorEvent& event) {
      fail(index, "connection " + std::to_string(index) + ": " + event.message);
    };
    peer.socket->onclose = [this, index](const CloseEvent&) { on_close(index); };
  }
}

// One message in kLatencySample carries a send time. Reading the clock costs
// this VM's generator as much as a third of a message's handling (perf: 5% of
// the engine's time at one read in 8); the raw engine reads it once per
// wake-up, about once per connection's 64 messages in flight, which the
// library's per-message events don't show. One in 64 costs the same, and
// still samples ~100,000 round trips a second.
constexpr std::uint32_t kLatencySample = 64;

bool LibraryEcho::send(Peer& peer) {
  const bool sent = options_.binary ? peer.socket->send(Bytes(payload_))
                                    : peer.socket->send(as_text(Bytes(payload_)));
  if (!sent) return false;
  std::uint32_t tail = peer.ring_head + peer.ring_count;
  if (tail >= static_cast<std::uint32_t>(options_.in_flight)) tail -= options_.in_flight;
  peer.sent_at[tail] = peer.sends++ % kLatencySample == 0 ? now_ns() : 0;
  ++peer.ring_count;
  return true;
}

void LibraryEcho::on_open(std::size_t index) {
  Peer& peer = peers_[index];
  peer.opened = true;
  --pending_handshakes_;
  ++result_.connected;
  if (!peer.socket->extensions().empty()) result_.deflate_agreed = true;
  start_more();
  if (timeline_.closing()) {
    peer.socket->close();
    return;
  }
  for (int i = 0; i < options_.in_flight; ++i) send(peer);
}

void LibraryEcho::on_message(std::size_t index, const MessageEvent& event) {
  Peer& peer = peers_[index];
  if (peer.failed) return;
  if (event.data.is_binary() != options_.binary) {
    return fail(index, "connection " + std::to_string(index) + ": echo has the wrong type (text/binary)");
  }
  if (event.data.size() != payload_.size() ||
      std::memcmp(event.data.bytes().data(), payload_.data(), payload_.size()) != 0) {
    return fail(index, "connection " + std::to_string(index) + ": echo differs from the message sent");
  }
  if (peer.ring_count == 0) {
    return fail(index, "connection " + std::to_string(index) + ": more echoes than messages sent");
  }
  ++total_messages_;
  const std::uint64_t sent_at = peer.sent_at[peer.ring_head];
  if (sent_at != 0 && timeline_.measuring()) result_.latency.record(now_ns() - sent_at);
  peer.ring_head = peer.ring_head + 1 == static_cast<std::uint32_t>(options_.in_flight) ? 0 : peer.ring_head + 1;
  --peer.ring_count;
  if (!timeline_.closing()) send(peer);
}

void LibraryEcho::fail(std::size_t index, const std::string& problem) {
  ++result_.errors;
  problems_.report(problem);
  Peer& peer = peers_[index];
  peer.failed = true;
  if (!peer.closed) peer.socket->close(driver::close_code::protocol_error);
}

void LibraryEcho::on_close(std::size_t index) {
  Peer& peer = peers_[index];
  if (!peer.opened) {
    --pending_handshakes_;  // onerror has counted the failure
    start_more();
  } else if (!timeline_.closing() && !peer.failed) {
    ++result_.errors;
    problems_.report("connection " + std::to_string(index) + ": closed before the end of the run");
  }
  peer.closed = true;
  --live_;
}

int LibraryEcho::run() {
  timeline_.start();
  start_more();
  for (;;) {
    loop_.run_for(std::chrono::milliseconds(50));
    const bool all_gone = live_ == 0 && next_ == peers_.size();
    const EchoTimeline::Step step = timeline_.tick(total_messages_, all_gone, live_ == 0, result_);
    if (step == EchoTimeline::Step::stop) break;
    if (step == EchoTimeline::Step::begin_closing) {
      for (Peer& peer : peers_) {
        if (peer.opened && !peer.closed) peer.socket->close();
      }
    }
  }
  // Stragglers past the deadline: no handler may run once we return.
  for (Peer& peer : peers_) {
    if (peer.socket && !peer.closed) {
      peer.socket->onopen = nullptr;
      peer.socket->onmessage = nullptr;
      peer.socket->onerror = nullptr;
      peer.socket->onclose = nullptr;
    }
  }
  return finish_echo(options_, result_);
}

}  // namespace

int run_echo_library(const EchoOptions& options) {
  raise_file_limit();
  try {
    resolve_target(options.url, options.allow_hosts);  // the loopback rule, checked up front
    LibraryEcho echo(options);
    return echo.run();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "faye-ws bench: %s\n", error.what());
    return 2;
  }
}

}  // namespace faye::load
