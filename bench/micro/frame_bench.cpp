// Sending: text() and binary() serialized into a handler that appends to a
// buffer cleared after each frame (its capacity is reused, as a transport's
// write queue would be). The server writes the payload as it is; the client
// masks it with a fresh key per frame (RFC 6455 5.3), through the driver's
// stack buffer.
#include <benchmark/benchmark.h>

#include "bench_peer.hpp"

namespace faye::bench {
namespace {

enum class Role { server, client };
enum class Kind { text, binary };

void BM_serialize(benchmark::State& state, Role role, Kind kind) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::string text = ascii_text(size);
  const std::vector<std::uint8_t> binary = binary_payload(size);
  CountingHandler handler;
  std::unique_ptr<driver::Hybi> peer;
  if (role == Role::server) {
    peer = open_server(handler);
  } else {
    peer = open_client(handler);
  }
  bool sent = true;
  std::size_t written = 0;
  for (auto _ : state) {
    handler.written.clear();
    sent &= kind == Kind::text ? peer->text(text) : peer->binary(binary);
    written = handler.written.size();
    benchmark::DoNotOptimize(handler.written.data());
    benchmark::ClobberMemory();
  }
  if (!sent || written <= size || written > size + driver::kMaxHeaderSize) {
    state.SkipWithError("the driver did not write the frame");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

BENCHMARK_CAPTURE(BM_serialize, server_text, Role::server, Kind::text)
    ->Name("serialize/server_text")
    ->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_serialize, server_binary, Role::server, Kind::binary)
    ->Name("serialize/server_binary")
    ->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_serialize, client_text, Role::client, Kind::text)
    ->Name("serialize/client_text")
    ->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_serialize, client_binary, Role::client, Kind::binary)
    ->Name("serialize/client_binary")
    ->Apply(message_sizes);

}  // namespace
}  // namespace faye::bench
