#include "faye/driver/permessage_deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <vector>

namespace faye::driver {
namespace {

constexpr int kMinWindowBits = 8;   // RFC 7692 7.1.2.1: values 8 to 15
constexpr int kMaxWindowBits = 15;
// zlib refuses an 8-bit window for raw deflate; 9 keeps distances within
// 256 bytes (MAX_DIST = window - MIN_LOOKAHEAD = 512 - 262), so a peer that
// asked for 8 can still read us.
constexpr int kMinZlibWindowBits = 9;
// The first piece of inflated output, then doubled as needed: small enough
// that a small message costs little, equal to the buffer kept between
// messages so that steady traffic of small messages allocates nothing.
constexpr std::size_t kFirstInflateChunk = 4096;
constexpr std::size_t kFirstDeflateChunk = 256;
// zlib counts in uInt: feed larger inputs in slices.
constexpr std::size_t kMaxSlice = std::size_t{1} << 30;
// RFC 7692 7.2.1: the empty stored block a sync flush ends with; removed
// from each compressed message and appended again before inflating (7.2.2).
constexpr std::uint8_t kTail[4] = {0x00, 0x00, 0xFF, 0xFF};

// ---- Counting allocator: every byte zlib holds is in `*opaque` -------------

constexpr std::size_t kAllocHeader = alignof(std::max_align_t);

voidpf counting_alloc(voidpf opaque, uInt items, uInt size) {
  std::size_t bytes = std::size_t{items} * size;
  void* block = std::malloc(kAllocHeader + bytes);
  if (block == nullptr) return Z_NULL;
  std::memcpy(block, &bytes, sizeof bytes);
  *static_cast<std::size_t*>(opaque) += bytes;
  return static_cast<char*>(block) + kAllocHeader;
}

void counting_free(voidpf opaque, voidpf address) {
  char* block = static_cast<char*>(address) - kAllocHeader;
  std::size_t bytes;
  std::memcpy(&bytes, block, sizeof bytes);
  *static_cast<std::size_t*>(opaque) -= bytes;
  std::free(block);
}

// ---- Parameters (RFC 7692 7) -----------------------------------------------

struct Params {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  std::optional<int> server_max_window_bits;
  bool client_max_window_bits = false;  // present, with or without a value
  std::optional<int> client_max_window_bits_value;
};

// RFC 7692 7.1.2: "a decimal integer value without leading zeroes between
// 8 to 15, inclusive".
std::optional<int> window_bits(const std::optional<std::string>& value) {
  if (!value || value->empty() || value->front() == '0') return std::nullopt;
  int bits = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), bits);
  if (ec != std::errc() || end != value->data() + value->size()) return std::nullopt;
  if (bits < kMinWindowBits || bits > kMaxWindowBits) return std::nullopt;
  return bits;
}

// RFC 7692 7: an offer or response with an unknown parameter, a parameter
// given twice or an invalid value is declined (server) or fails the
// connection (client). In a response client_max_window_bits needs a value
// (7.1.2.2); in an offer the value is optional.
std::optional<Params> parse_params(const ExtensionParams& list, bool response) {
  Params params;
  bool seen[4] = {};
  for (const ExtensionParam& param : list) {
    int index;
    if (param.name == "server_no_context_takeover") {
      index = 0;
      if (param.value) return std::nullopt;  // 7.1.1.1: no value
      params.server_no_context_takeover = true;
    } else if (param.name == "client_no_context_takeover") {
      index = 1;
      if (param.value) return std::nullopt;  // 7.1.1.2: no value
      params.client_no_context_takeover = true;
    } else if (param.name == "server_max_window_bits") {
      index = 2;
      params.server_max_window_bits = window_bits(param.value);
      if (!params.server_max_window_bits) return std::nullopt;  // 7.1.2.1: value required
    } else if (param.name == "client_max_window_bits") {
      index = 3;
      params.client_max_window_bits = true;
      if (param.value || response) {
        params.client_max_window_bits_value = window_bits(param.value);
        if (!params.client_max_window_bits_value) return std::nullopt;
      }
    } else {
      return std::nullopt;
    }
    if (seen[index]) return std::nullopt;
    seen[index] = true;
  }
  return params;
}

ExtensionParam flag(const char* name) { return {name, std::nullopt}; }
ExtensionParam number(const char* name, int value) { return {name, std::to_string(value)}; }

// ---- The codec -------------------------------------------------------------

// One connection's compressor and decompressor, with the parameters both
// sides agreed on. "Own" is what we send, "peer" what we receive.
class Codec {
 public:
  struct Agreement {
    int own_window_bits = kMaxWindowBits;
    bool own_no_context_takeover = false;
    int peer_window_bits = kMaxWindowBits;
    bool peer_no_context_takeover = false;
  };

  explicit Codec(const DeflateOptions& options)
      : level_(options.level), mem_level_(options.mem_level), threshold_(options.threshold) {}
  ~Codec() { close(); }
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;

  void agree(const Agreement& agreement) { agreement_ = agreement; }

  ExtensionStatus inflate(ExtensionMessage& message, std::string& out);
  ExtensionStatus deflate(ExtensionMessage& message, std::string& out);

  void close() {
    if (inflater_) inflateEnd(inflater_.get());
    if (deflater_) deflateEnd(deflater_.get());
    inflater_.reset();
    deflater_.reset();
  }

  std::size_t memory_usage() const {
    return zlib_bytes_ + (inflater_ ? sizeof(z_stream) : 0) + (deflater_ ? sizeof(z_stream) : 0);
  }

 private:
  std::unique_ptr<z_stream> make_stream() {
    auto stream = std::make_unique<z_stream>();
    stream->zalloc = counting_alloc;
    stream->zfree = counting_free;
    stream->opaque = &zlib_bytes_;
    return stream;
  }
  bool start_inflater();
  bool start_deflater();
  void keep_window_after_final_block();

  int level_;
  int mem_level_;
  std::size_t threshold_;
  Agreement agreement_;
  // Allocated on first use: a connection that never receives (or never
  // sends) a compressed message holds no zlib state for that direction.
  std::unique_ptr<z_stream> inflater_;
  std::unique_ptr<z_stream> deflater_;
  std::size_t zlib_bytes_ = 0;
  bool compressing_ = false;  // the outgoing message in progress is compressed
};

bool Codec::start_inflater() {
  inflater_ = make_stream();
  int bits = std::max(agreement_.peer_window_bits, kMinZlibWindowBits);
  if (inflateInit2(inflater_.get(), -bits) != Z_OK) {
    inflater_.reset();
    return false;
  }
  return true;
}

bool Codec::start_deflater() {
  deflater_ = make_stream();
  int bits = std::max(agreement_.own_window_bits, kMinZlibWindowBits);
  if (deflateInit2(deflater_.get(), level_, Z_DEFLATED, -bits, mem_level_, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    deflater_.reset();
    return false;
  }
  return true;
}

// RFC 7692 7.2.3.4 lets a sender end a message with a BFINAL block. zlib
// then considers the stream finished; start a new one, but keep the window
// when context takeover is in force, since the peer may still refer to it.
void Codec::keep_window_after_final_block() {
  z_stream* z = inflater_.get();
  if (agreement_.peer_no_context_takeover) {
    inflateReset(z);
    return;
  }
  std::vector<Bytef> window(std::size_t{1} << kMaxWindowBits);
  uInt size = 0;
  inflateGetDictionary(z, window.data(), &size);
  inflateReset(z);
  if (size > 0) inflateSetDictionary(z, window.data(), size);
}

// RFC 7692 7.2.2: append 00 00 FF FF and inflate. The output grows as it is
// produced, never past max_length + 1 bytes: one byte more than allowed is
// how we learn the message is too big, and we stop there (1009).
ExtensionStatus Codec::inflate(ExtensionMessage& message, std::string& out) {
  if (!(message.rsv & kRsv1)) return {};  // RFC 7692 6: not compressed
  message.rsv &= static_cast<std::uint8_t>(~kRsv1);
  // An empty payload carries no deflate data at all (a compressed empty
  // message is the single octet 00, 7.2.3.6): appending the tail alone
  // would leave the stream inside a stored block's header.
  if (message.data.empty()) return {};
  const bool text = message.type == MessageType::text;
  if (!inflater_ && !start_inflater()) {
    return ExtensionStatus::failure(Error::unexpected_condition, close_code::unexpected_condition,
                                    "permessage-deflate: cannot allocate the decompressor");
  }
  z_stream* z = inflater_.get();
  const std::size_t cap = message.max_length == std::numeric_limits<std::size_t>::max()
                              ? message.max_length
                              : message.max_length + 1;
  std::size_t produced = 0;
  bool ended = false;
  const Bytes pieces[2] = {message.data, Bytes(kTail, sizeof kTail)};
  for (Bytes piece : pieces) {
    while (!ended && !piece.empty()) {
      std::size_t slice = std::min(piece.size(), kMaxSlice);
      z->next_in = const_cast<Bytef*>(piece.data());
      z->avail_in = static_cast<uInt>(slice);
      for (;;) {
        if (produced == out.size()) {
          if (produced > message.max_length) break;
          // Grow geometrically, reserving exactly what we ask for, so that
          // the buffer never exceeds the cap.
          std::size_t target = std::min(
              cap, produced == 0 ? std::max(out.capacity(), kFirstInflateChunk) : produced * 2);
          if (target > out.capacity()) {
            std::string bigger;
            bigger.reserve(target);
            bigger.append(out, 0, produced);
            out.swap(bigger);
          }
          out.resize(target);
        }
        std::size_t room = std::min(out.size() - produced, kMaxSlice);
        z->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        z->avail_out = static_cast<uInt>(room);
        int rc = ::inflate(z, Z_SYNC_FLUSH);
        produced += room - z->avail_out;
        if (rc == Z_STREAM_END) {
          ended = true;
          break;
        }
        if (rc == Z_MEM_ERROR) {
          return ExtensionStatus::failure(Error::unexpected_condition,
                                          close_code::unexpected_condition,
                                          "permessage-deflate: out of memory while inflating");
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
          // RFC 7692 8: "MUST _Fail the WebSocket Connection_". Corrupt
          // text is data inconsistent with its type (1007); binary gets the
          // protocol error (1002).
          std::string why = z->msg ? z->msg : "invalid data";
          return ExtensionStatus::failure(
              Error::extension_error,
              text ? close_code::invalid_data : close_code::protocol_error,
              "permessage-deflate: invalid compressed data (" + why + ")");
        }
        if (produced > message.max_length) break;
        // Room left over means zlib has written all it could from the input.
        if (z->avail_out > 0 && z->avail_in == 0) break;
        if (z->avail_out > 0 && rc == Z_BUF_ERROR) {
          return ExtensionStatus::failure(Error::extension_error,
                                          text ? close_code::invalid_data
                                               : close_code::protocol_error,
                                          "permessage-deflate: inflate made no progress");
        }
      }
      if (produced > message.max_length) {
        out.resize(std::min(out.size(), produced));
        return ExtensionStatus::failure(Error::message_too_big, close_code::too_large,
                                        "message inflates past the maximum length of " +
                                            std::to_string(message.max_length) + " bytes");
      }
      piece = piece.subspan(slice - z->avail_in);
    }
  }
  out.resize(produced);
  message.data = as_bytes(out);
  if (ended) {
    keep_window_after_final_block();
  } else if (agreement_.peer_no_context_takeover) {
    // RFC 7692 7.1.1: without context takeover, each message starts with
    // an empty window.
    inflateReset(z);
  }
  return {};
}

// RFC 7692 7.2.1: compress, flush with an empty stored block (Z_SYNC_FLUSH)
// and remove its last 4 octets 00 00 FF FF. Fragments of a message are
// compressed as one stream, the tail removed from the last only.
ExtensionStatus Codec::deflate(ExtensionMessage& message, std::string& out) {
  if (message.first) {
    compressing_ =
        message.compress && !(message.fin && message.data.size() < threshold_);
  }
  if (!compressing_) return {};
  if (!deflater_ && !start_deflater()) {
    return ExtensionStatus::failure(Error::unexpected_condition, close_code::unexpected_condition,
                                    "permessage-deflate: cannot allocate the compressor");
  }
  z_stream* z = deflater_.get();
  auto failure = [](std::string why) {
    return ExtensionStatus::failure(Error::unexpected_condition, close_code::unexpected_condition,
                                    "permessage-deflate: " + why);
  };
  std::size_t produced = 0;
  Bytes input = message.data;
  do {
    std::size_t slice = std::min(input.size(), kMaxSlice);
    bool last = slice == input.size();
    int flush = last ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    z->next_in = const_cast<Bytef*>(input.data());
    z->avail_in = static_cast<uInt>(slice);
    for (;;) {
      if (produced == out.size()) {
        out.resize(std::max({out.capacity(), kFirstDeflateChunk, produced * 2}));
      }
      std::size_t room = std::min(out.size() - produced, kMaxSlice);
      z->next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      z->avail_out = static_cast<uInt>(room);
      int rc = ::deflate(z, flush);
      produced += room - z->avail_out;
      // Z_BUF_ERROR: nothing to do, e.g. a flush right after a flush.
      if (rc == Z_BUF_ERROR) break;
      if (rc != Z_OK) return failure("deflate failed");
      if (z->avail_out > 0 && z->avail_in == 0) break;
    }
    input = input.subspan(slice);
  } while (!input.empty());

  if (message.fin) {
    auto* bytes = reinterpret_cast<const std::uint8_t*>(out.data());
    if (produced >= sizeof kTail &&
        std::memcmp(bytes + produced - sizeof kTail, kTail, sizeof kTail) == 0) {
      produced -= sizeof kTail;
    } else if (produced == 0) {
      // Nothing new since the last flush (an empty last fragment, or an
      // empty message after a flushed one): send what an empty stored block
      // is once its 4-octet tail is removed, a single 0x00 (RFC 7692 7.2.3.6).
      if (out.empty()) out.resize(1);
      out[0] = '\0';
      produced = 1;
    } else {
      return failure("compressed data does not end with a flush marker");
    }
    // RFC 7692 7.1.1: no context takeover, each message from an empty window.
    if (agreement_.own_no_context_takeover) deflateReset(z);
  }
  out.resize(produced);
  message.data = as_bytes(out);
  if (message.first) message.rsv |= kRsv1;  // RFC 7692 6: the first frame only
  return {};
}

// ---- Sessions --------------------------------------------------------------

class ClientSession final : public ClientExtensionSession {
 public:
  explicit ClientSession(const DeflateOptions& options) : options_(options), codec_(options) {}

  // RFC 7692 7.1: one offer with what we allow and what we ask for.
  std::vector<ExtensionParams> generate_offer() override {
    ExtensionParams offer;
    if (options_.no_context_takeover) offer.push_back(flag("client_no_context_takeover"));
    // 7.1.2.2: always say we can limit our window; valueless means "any".
    if (options_.max_window_bits < kMaxWindowBits) {
      offer.push_back(number("client_max_window_bits", options_.max_window_bits));
    } else {
      offer.push_back(flag("client_max_window_bits"));
    }
    if (options_.request_no_context_takeover) offer.push_back(flag("server_no_context_takeover"));
    if (options_.request_max_window_bits < kMaxWindowBits) {
      offer.push_back(number("server_max_window_bits", options_.request_max_window_bits));
    }
    return {offer};
  }

  bool activate(const ExtensionParams& response) override {
    std::optional<Params> params = parse_params(response, true);
    if (!params) return false;
    // 7.1.1.1: a server accepting server_no_context_takeover includes it.
    if (options_.request_no_context_takeover && !params->server_no_context_takeover) return false;
    // 7.1.2.1: the server answers server_max_window_bits with the same or
    // a smaller value.
    if (options_.request_max_window_bits < kMaxWindowBits &&
        (!params->server_max_window_bits ||
         *params->server_max_window_bits > options_.request_max_window_bits)) {
      return false;
    }
    // 7.1.2.2: the server's client_max_window_bits may not exceed ours.
    if (params->client_max_window_bits_value &&
        *params->client_max_window_bits_value > options_.max_window_bits) {
      return false;
    }
    codec_.agree({
        .own_window_bits = params->client_max_window_bits_value.value_or(options_.max_window_bits),
        .own_no_context_takeover =
            options_.no_context_takeover || params->client_no_context_takeover,
        .peer_window_bits = params->server_max_window_bits.value_or(kMaxWindowBits),
        .peer_no_context_takeover = params->server_no_context_takeover,
    });
    return true;
  }

  ExtensionStatus process_incoming(ExtensionMessage& message, std::string& out) override {
    return codec_.inflate(message, out);
  }
  ExtensionStatus process_outgoing(ExtensionMessage& message, std::string& out) override {
    return codec_.deflate(message, out);
  }
  void close() override { codec_.close(); }
  std::size_t memory_usage() const override { return codec_.memory_usage(); }

 private:
  DeflateOptions options_;
  Codec codec_;
};

class ServerSession final : public ServerExtensionSession {
 public:
  ServerSession(const DeflateOptions& options, ExtensionParams response,
                const Codec::Agreement& agreement)
      : codec_(options), response_(std::move(response)) {
    codec_.agree(agreement);
  }

  ExtensionParams generate_response() override { return response_; }
  ExtensionStatus process_incoming(ExtensionMessage& message, std::string& out) override {
    return codec_.inflate(message, out);
  }
  ExtensionStatus process_outgoing(ExtensionMessage& message, std::string& out) override {
    return codec_.deflate(message, out);
  }
  void close() override { codec_.close(); }
  std::size_t memory_usage() const override { return codec_.memory_usage(); }

 private:
  Codec codec_;
  ExtensionParams response_;
};

}  // namespace

PermessageDeflate::PermessageDeflate(DeflateOptions options) : options_(options) {
  auto check = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("permessage-deflate: ") + what);
  };
  check(options_.level >= -1 && options_.level <= 9, "level must be -1 to 9");
  check(options_.mem_level >= 1 && options_.mem_level <= 9, "mem_level must be 1 to 9");
  check(options_.max_window_bits >= kMinWindowBits && options_.max_window_bits <= kMaxWindowBits,
        "max_window_bits must be 8 to 15");
  check(options_.request_max_window_bits >= kMinWindowBits &&
            options_.request_max_window_bits <= kMaxWindowBits,
        "request_max_window_bits must be 8 to 15");
}

std::unique_ptr<ClientExtensionSession> PermessageDeflate::create_client_session() {
  return std::make_unique<ClientSession>(options_);
}

// RFC 7692 5.1: accept the first offer we can honour, decline the rest.
std::unique_ptr<ServerExtensionSession> PermessageDeflate::create_server_session(
    std::span<const ExtensionParams> offers) {
  for (const ExtensionParams& offer : offers) {
    std::optional<Params> params = parse_params(offer, false);
    if (!params) continue;
    ExtensionParams response;
    Codec::Agreement agreement;

    // 7.1.1.1: honour the client's request, or decide it ourselves.
    agreement.own_no_context_takeover =
        params->server_no_context_takeover || options_.no_context_takeover;
    if (agreement.own_no_context_takeover) response.push_back(flag("server_no_context_takeover"));

    // 7.1.1.2: ask for it, or confirm the client's own hint.
    agreement.peer_no_context_takeover =
        params->client_no_context_takeover || options_.request_no_context_takeover;
    if (agreement.peer_no_context_takeover) response.push_back(flag("client_no_context_takeover"));

    // 7.1.2.1: answer a requested window with the same or a smaller one;
    // unrequested, we may still announce ours.
    agreement.own_window_bits =
        std::min(params->server_max_window_bits.value_or(kMaxWindowBits), options_.max_window_bits);
    if (params->server_max_window_bits || agreement.own_window_bits < kMaxWindowBits) {
      response.push_back(number("server_max_window_bits", agreement.own_window_bits));
    }

    // 7.1.2.2: only a client that sent client_max_window_bits may be told
    // to limit its window; a value it offered is an upper bound.
    agreement.peer_window_bits = kMaxWindowBits;
    if (params->client_max_window_bits) {
      int bits = std::min(params->client_max_window_bits_value.value_or(kMaxWindowBits),
                          options_.request_max_window_bits);
      agreement.peer_window_bits = bits;
      if (params->client_max_window_bits_value || bits < kMaxWindowBits) {
        response.push_back(number("client_max_window_bits", bits));
      }
    }
    return std::make_unique<ServerSession>(options_, std::move(response), agreement);
  }
  return nullptr;
}

}  // namespace faye::driver
