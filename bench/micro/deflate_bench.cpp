// permessage-deflate: what a server's echo costs per message, and what a
// connection holds.
//
// "deflate_echo/*": a server-side Hybi with permessage-deflate negotiated
// parses one compressed, masked client frame (unmask, inflate, UTF-8 for
// text), and its handler sends the message straight back, compressed again
// into a reply frame. Throughput is of message payload (uncompressed bytes).
// The client frames are compressed each from an empty window, so the same
// frame can be fed again and again (each iteration first copies it into the
// input buffer, as parse() unmasks in place); the server keeps its context
// in both directions, as it does by default.
//
// "zlib_echo/*", the reference: raw zlib inflating the same compressed bytes
// and deflating the result with a sync flush, with the same settings and
// streams kept across messages: the work no library can avoid. The table
// main.cpp prints gives each deflate_echo row as a ratio to it.
//
// "deflate_connection/*": a connection opened and one 16 KiB message echoed,
// at the default settings and at a low-memory one; the counters are the
// bytes the connection then holds, from the library's own accounting
// (Hybi::memory_usage(), zlib's allocations included).
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_peer.hpp"
#include "faye/driver/permessage_deflate.hpp"

namespace faye::bench {
namespace {

constexpr MaskKey kKey{0x37, 0xFA, 0x21, 0x3D};
constexpr std::uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};  // RFC 7692 7.2.1

enum class Kind { json, random };

// 64 B, 1 KiB, 16 KiB, 256 KiB.
void deflate_sizes(benchmark::internal::Benchmark* b) {
  for (std::int64_t size : {64, 1 << 10, 16 << 10, 256 << 10}) b->Arg(size);
}

// JSON-like text, as a chat or a market feed would send: the same keys
// again and again, numbers and words that vary.
std::string json_text(std::size_t size) {
  static constexpr const char* kWords[] = {"alpha", "bravo",   "charlie", "delta",
                                           "echo",  "foxtrot", "golf",    "hotel"};
  std::mt19937 rng(7692);
  std::string out = "[";
  while (out.size() < size) {
    out += R"({"id":)" + std::to_string(rng() % 100000) + R"(,"user":"user_)" +
           std::to_string(rng() % 500) + R"(","event":")" + kWords[rng() % 8] + R"(","price":)" +
           std::to_string(rng() % 10000) + "." + std::to_string(rng() % 100) + R"(,"tags":[")" +
           kWords[rng() % 8] + R"(",")" + kWords[rng() % 8] + R"("]},)";
  }
  out.resize(size);
  return out;
}

std::vector<std::uint8_t> random_bytes(std::size_t size) {
  std::mt19937 rng(6455);
  std::vector<std::uint8_t> out(size);
  for (auto& byte : out) byte = static_cast<std::uint8_t>(rng());
  return out;
}

std::vector<std::uint8_t> payload_of(Kind kind, std::size_t size) {
  return kind == Kind::json ? bytes_of(json_text(size)) : random_bytes(size);
}

// Raw DEFLATE of `data` from an empty window, ending with a sync flush whose
// 4-byte tail is removed (RFC 7692 7.2.1).
std::vector<std::uint8_t> compress(const std::vector<std::uint8_t>& data, int window_bits) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY);
  std::vector<std::uint8_t> out(deflateBound(&z, data.size()) + 16);
  z.next_in = const_cast<Bytef*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out - sizeof kTail);
  deflateEnd(&z);
  return out;
}

// A client frame carrying `compressed` as a message's only frame, RSV1 set.
std::vector<std::uint8_t> compressed_frame(Opcode opcode,
                                           const std::vector<std::uint8_t>& compressed) {
  std::vector<std::uint8_t> frame = masked_frame(opcode, compressed, kKey);
  frame[0] |= driver::kRsv1;
  return frame;
}

// The two settings of the README's memory table.
enum class Setting { defaults, low_memory };

struct Negotiation {
  driver::DeflateOptions options;
  const char* offer;
  int client_window_bits;  // what the client compresses with
};

Negotiation negotiation(Setting setting) {
  if (setting == Setting::defaults) {
    return {{}, "permessage-deflate; client_max_window_bits", 15};
  }
  return {{.mem_level = 1, .max_window_bits = 9, .request_max_window_bits = 9},
          "permessage-deflate; client_max_window_bits",
          9};
}

// Sends every message back as it came.
struct EchoHandler : CountingHandler {
  driver::Hybi* server = nullptr;
  void on_message(const driver::Message& message) override {
    CountingHandler::on_message(message);
    bool sent = message.is_text() ? server->text(message.text()) : server->binary(message.data);
    if (!sent) failed = true;
  }
};

// A server with permessage-deflate negotiated, past its handshake.
std::unique_ptr<driver::Hybi> open_deflate_server(Setting setting, CountingHandler& handler) {
  Negotiation n = negotiation(setting);
  http::Request request = upgrade_request();
  request.headers.add("Sec-WebSocket-Extensions", n.offer);
  driver::ServerOptions options{
      .extensions = {std::make_shared<driver::PermessageDeflate>(n.options)}};
  auto server = std::make_unique<driver::Hybi>(request, handler, options);
  server->start();
  handler.written.clear();
  return server;
}

void BM_deflate_echo(benchmark::State& state, Kind kind) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const Opcode opcode = kind == Kind::json ? Opcode::text : Opcode::binary;
  const std::vector<std::uint8_t> pristine =
      compressed_frame(opcode, compress(payload_of(kind, size), 15));
  std::vector<std::uint8_t> input(pristine.size());
  EchoHandler handler;
  auto server = open_deflate_server(Setting::defaults, handler);
  handler.server = server.get();
  if (server->extensions().empty()) {
    state.SkipWithError("permessage-deflate was not negotiated");
    return;
  }
  std::size_t written = 0;
  for (auto _ : state) {
    handler.written.clear();
    std::memcpy(input.data(), pristine.data(), pristine.size());
    server->parse(MutableBytes(input));
    written = handler.written.size();
    benchmark::DoNotOptimize(handler.written.data());
    benchmark::ClobberMemory();
  }
  if (handler.failed || handler.messages != state.iterations() ||
      handler.bytes != state.iterations() * static_cast<std::int64_t>(size) || written == 0 ||
      (handler.written[0] & driver::kRsv1) == 0) {
    state.SkipWithError("the server did not echo every message compressed");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
  state.counters["wire_in"] = static_cast<double>(pristine.size());
  state.counters["wire_out"] = static_cast<double>(written);
}

// Raw zlib doing the same work: inflate the frame's payload (tail
// restored), deflate the result with a sync flush.
void BM_zlib_echo(benchmark::State& state, Kind kind) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> compressed = compress(payload_of(kind, size), 15);
  compressed.insert(compressed.end(), kTail, kTail + sizeof kTail);
  z_stream inflater{};
  z_stream deflater{};
  inflateInit2(&inflater, -15);
  deflateInit2(&deflater, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  // One byte to spare, so inflate reaches the end of its input.
  std::vector<std::uint8_t> message(size + 1);
  std::vector<std::uint8_t> reply(deflateBound(&deflater, size) + 16);
  bool ok = true;
  for (auto _ : state) {
    inflater.next_in = compressed.data();
    inflater.avail_in = static_cast<uInt>(compressed.size());
    inflater.next_out = message.data();
    inflater.avail_out = static_cast<uInt>(message.size());
    int rc = inflate(&inflater, Z_SYNC_FLUSH);
    ok &= rc == Z_OK && inflater.avail_in == 0 && inflater.avail_out == 1;
    deflater.next_in = message.data();
    deflater.avail_in = static_cast<uInt>(size);
    deflater.next_out = reply.data();
    deflater.avail_out = static_cast<uInt>(reply.size());
    ok &= deflate(&deflater, Z_SYNC_FLUSH) == Z_OK;
    benchmark::DoNotOptimize(reply.data());
    benchmark::ClobberMemory();
  }
  inflateEnd(&inflater);
  deflateEnd(&deflater);
  if (!ok) state.SkipWithError("zlib failed");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

// Opens a connection, echoes one 16 KiB JSON message, and reports what the
// connection holds then (zlib's state for both directions, the buffers kept
// between messages) and the Hybi object itself.
void BM_deflate_connection(benchmark::State& state, Setting setting) {
  const std::size_t size = 16 << 10;
  const std::vector<std::uint8_t> pristine = compressed_frame(
      Opcode::text,
      compress(payload_of(Kind::json, size), negotiation(setting).client_window_bits));
  std::vector<std::uint8_t> input(pristine.size());
  std::size_t held = 0;
  bool ok = true;
  for (auto _ : state) {
    EchoHandler handler;
    auto server = open_deflate_server(setting, handler);
    handler.server = server.get();
    std::memcpy(input.data(), pristine.data(), pristine.size());
    server->parse(MutableBytes(input));
    ok &= !handler.failed && handler.messages == 1 && !handler.written.empty();
    held = server->memory_usage();
    benchmark::DoNotOptimize(held);
  }
  if (!ok) state.SkipWithError("the server did not echo the message");
  state.counters["heap_bytes"] = static_cast<double>(held);
  state.counters["object_bytes"] = static_cast<double>(sizeof(driver::Hybi));
  state.counters["memory_per_connection"] = static_cast<double>(held + sizeof(driver::Hybi));
}

BENCHMARK_CAPTURE(BM_deflate_echo, json, Kind::json)
    ->Name("deflate_echo/json")
    ->Apply(deflate_sizes);
BENCHMARK_CAPTURE(BM_deflate_echo, random, Kind::random)
    ->Name("deflate_echo/random")
    ->Apply(deflate_sizes);
BENCHMARK_CAPTURE(BM_zlib_echo, json, Kind::json)->Name("zlib_echo/json")->Apply(deflate_sizes);
BENCHMARK_CAPTURE(BM_zlib_echo, random, Kind::random)
    ->Name("zlib_echo/random")
    ->Apply(deflate_sizes);
BENCHMARK_CAPTURE(BM_deflate_connection, defaults, Setting::defaults)
    ->Name("deflate_connection/defaults");
BENCHMARK_CAPTURE(BM_deflate_connection, low_memory, Setting::low_memory)
    ->Name("deflate_connection/low_memory");

}  // namespace
}  // namespace faye::bench
