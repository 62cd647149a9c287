// Receiving: a server-role Hybi driver parsing one masked frame (header,
// unmask in place, UTF-8 validation for text, on_message), and the two passes
// over the payload on their own: mask_in_place and Utf8Validator.
//
// How the in-place unmasking is accounted for. parse() XORs the payload with
// the mask key where it lies, so a frame can't simply be parsed twice. But
// XOR is its own inverse: parsing the same buffer again turns the payload back
// into its masked form, which is as valid a payload as the first if both
// forms are acceptable. Binary payloads always are; ASCII text stays ASCII
// under a key whose bytes are all below 0x80; and the multi-byte text below
// stays valid UTF-8 when the low bit of every byte flips (a 0x01 key, checked
// at setup). So "parse/*" re-parses the same buffer each iteration with no
// refill: the time is the driver's and nothing else's, and the payload it
// unmasks and validates really alternates between its two forms (mask_copy
// has no special case for any key value).
//
// "parse_refill/*" is the naive alternative, kept as a cross-check: each
// iteration first copies the pristine masked frame into the input buffer
// (a memcpy of the frame, as the memcpy row of the same size) and then
// parses it; its time is roughly parse + memcpy.
#include <benchmark/benchmark.h>

#include <cstring>

#include "bench_peer.hpp"
#include "faye/driver/utf8.hpp"

namespace faye::bench {
namespace {

constexpr MaskKey kBinaryKey{0x9E, 0x41, 0xD3, 0x7C};
constexpr MaskKey kAsciiKey{0x5A, 0x21, 0x3C, 0x17};  // all < 0x80: ASCII stays ASCII
constexpr MaskKey kUtf8ToggleKey{0x01, 0x01, 0x01, 0x01};

enum class Payload { binary, ascii, multibyte };

struct Case {
  Opcode opcode;
  std::vector<std::uint8_t> payload;
  MaskKey key;
};

Case make_case(Payload kind, std::size_t size) {
  switch (kind) {
    case Payload::binary:
      return {Opcode::binary, binary_payload(size), kBinaryKey};
    case Payload::ascii:
      return {Opcode::text, bytes_of(ascii_text(size)), kAsciiKey};
    case Payload::multibyte:
      break;
  }
  return {Opcode::text, bytes_of(multibyte_text(size)), kUtf8ToggleKey};
}

// Both forms of a text payload (plain, and XORed with the key) must be valid
// UTF-8 for the re-parse scheme above to be sound.
bool survives_toggle(const Case& c) {
  if (c.opcode != Opcode::text) return true;
  std::vector<std::uint8_t> toggled(c.payload.size());
  driver::mask_copy(toggled.data(), c.payload.data(), c.payload.size(), c.key);
  return driver::is_valid_utf8(c.payload) && driver::is_valid_utf8(toggled);
}

void finish(benchmark::State& state, const CountingHandler& handler, std::size_t size) {
  if (handler.failed || handler.messages != state.iterations() ||
      handler.bytes != state.iterations() * static_cast<std::int64_t>(size)) {
    state.SkipWithError("the driver did not deliver every message intact");
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

void BM_parse(benchmark::State& state, Payload kind) {
  const auto size = static_cast<std::size_t>(state.range(0));
  Case c = make_case(kind, size);
  if (!survives_toggle(c)) {
    state.SkipWithError("payload is not valid UTF-8 in both masked forms");
    return;
  }
  std::vector<std::uint8_t> wire = masked_frame(c.opcode, c.payload, c.key);
  CountingHandler handler;
  auto server = open_server(handler);
  for (auto _ : state) {
    server->parse(MutableBytes(wire));
    benchmark::ClobberMemory();
  }
  finish(state, handler, size);
}

void BM_parse_refill(benchmark::State& state, Payload kind) {
  const auto size = static_cast<std::size_t>(state.range(0));
  Case c = make_case(kind, size);
  const std::vector<std::uint8_t> pristine = masked_frame(c.opcode, c.payload, c.key);
  std::vector<std::uint8_t> input(pristine.size());
  CountingHandler handler;
  auto server = open_server(handler);
  for (auto _ : state) {
    std::memcpy(input.data(), pristine.data(), pristine.size());
    server->parse(MutableBytes(input));
    benchmark::ClobberMemory();
  }
  finish(state, handler, size);
}

// The unmasking pass alone, in place (each iteration toggles the buffer).
void BM_mask_in_place(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> data = binary_payload(size);
  for (auto _ : state) {
    driver::mask_in_place(MutableBytes(data), kBinaryKey);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

// The validation pass alone, one feed() of the whole message.
void BM_utf8(benchmark::State& state, Payload kind) {
  const auto size = static_cast<std::size_t>(state.range(0));
  std::vector<std::uint8_t> data =
      bytes_of(kind == Payload::ascii ? ascii_text(size) : multibyte_text(size));
  bool valid = true;
  for (auto _ : state) {
    driver::Utf8Validator validator;
    benchmark::DoNotOptimize(data.data());
    valid &= validator.feed(data) && validator.complete();
  }
  if (!valid) state.SkipWithError("validator refused valid UTF-8");
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
}

BENCHMARK_CAPTURE(BM_parse, binary, Payload::binary)->Name("parse/binary")->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_parse, text_ascii, Payload::ascii)
    ->Name("parse/text_ascii")
    ->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_parse, text_utf8, Payload::multibyte)
    ->Name("parse/text_utf8")
    ->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_parse_refill, binary, Payload::binary)
    ->Name("parse_refill/binary")
    ->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_parse_refill, text_ascii, Payload::ascii)
    ->Name("parse_refill/text_ascii")
    ->Apply(message_sizes);
BENCHMARK(BM_mask_in_place)->Name("mask_in_place")->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_utf8, ascii, Payload::ascii)->Name("utf8/ascii")->Apply(message_sizes);
BENCHMARK_CAPTURE(BM_utf8, multibyte, Payload::multibyte)
    ->Name("utf8/multibyte")
    ->Apply(message_sizes);

}  // namespace
}  // namespace faye::bench
