#include "faye/driver/draft76.hpp"

#include <algorithm>

#include <openssl/evp.h>

#include "faye/http/response.hpp"

namespace faye::driver {
namespace {

constexpr std::string_view invalid_keys_message = "Client sent invalid Sec-WebSocket-Key headers";

std::optional<std::uint32_t> key_header_number(const http::Request& request,
                                               std::string_view name) {
  auto key = request.headers.get(name);
  if (!key) return std::nullopt;
  return draft76_key_number(*key);
}

void put_big_endian(std::uint32_t value, std::uint8_t* out) {
  out[0] = static_cast<std::uint8_t>(value >> 24);
  out[1] = static_cast<std::uint8_t>(value >> 16);
  out[2] = static_cast<std::uint8_t>(value >> 8);
  out[3] = static_cast<std::uint8_t>(value);
}

}  // namespace

std::optional<std::uint32_t> draft76_key_number(std::string_view key) {
  constexpr std::uint64_t max_number = 0xFFFFFFFF;
  std::uint64_t number = 0;
  std::uint64_t spaces = 0;
  for (char c : key) {
    if (c >= '0' && c <= '9') {
      number = number * 10 + static_cast<std::uint64_t>(c - '0');
      // Section 5.2 step 4: a larger number "is a symptom of an attack".
      // Checking per digit also keeps the accumulator from overflowing.
      if (number > max_number) return std::nullopt;
    } else if (c == ' ') {
      ++spaces;
    }
  }
  // Step 5: no spaces is "a symptom of a cross-protocol attack"; step 6: the
  // client made the number by multiplying by the spaces.
  if (spaces == 0 || number % spaces != 0) return std::nullopt;
  return static_cast<std::uint32_t>(number / spaces);
}

std::optional<std::array<std::uint8_t, 16>> draft76_answer(std::uint32_t part1, std::uint32_t part2,
                                                           std::span<const std::uint8_t, 8> key3) {
  std::uint8_t challenge[16];
  put_big_endian(part1, challenge);
  put_big_endian(part2, challenge + 4);
  std::copy(key3.begin(), key3.end(), challenge + 8);

  std::array<std::uint8_t, 16> answer{};
  unsigned int size = 0;
  if (EVP_Digest(challenge, sizeof challenge, answer.data(), &size, EVP_md5(), nullptr) != 1 ||
      size != answer.size()) {
    return std::nullopt;
  }
  return answer;
}

Draft76::Draft76(const http::Request& request, Handler& handler, const ServerSettings& settings)
    : Draft75(request, handler, settings,
              Dialect{.status_line = "HTTP/1.1 101 WebSocket Protocol Handshake",
                      .header_prefix = "Sec-"}),
      part1_(key_header_number(request, "Sec-WebSocket-Key1")),
      part2_(key_header_number(request, "Sec-WebSocket-Key2")) {}

void Draft76::start() {
  if (state_ != ReadyState::connecting || head_sent_) return;
  head_sent_ = true;
  std::string head = std::move(handshake_head_);
  handshake_head_.clear();

  if (!part1_ || !part2_) {
    http::Response rejection{
        400, {{"Content-Type", "text/plain"}}, std::string(invalid_keys_message)};
    write(rejection.serialize());
    return fail(Error::bad_request, close_code::protocol_error, invalid_keys_message);
  }

  // As websocket-driver does, the head goes out at once; the answer follows
  // when key3 is complete. Key3 comes through parse(), like every byte
  // after the request head, whoever read it.
  write(head);
}

void Draft76::parse(MutableBytes data) {
  if (state_ == ReadyState::connecting) {
    if (!head_sent_) return;
    std::size_t taken = std::min(key3_size - key3_received_, data.size());
    std::copy_n(data.begin(), taken, key3_.begin() + key3_received_);
    key3_received_ = static_cast<std::uint8_t>(key3_received_ + taken);
    data = data.subspan(taken);
    if (key3_received_ < key3_size) return;

    auto answer = draft76_answer(*part1_, *part2_, key3_);
    if (!answer) {
      return fail(Error::unexpected_condition, close_code::unexpected_condition,
                  "MD5 is unavailable: cannot answer the draft-76 challenge");
    }
    write(Bytes(*answer));
    open();
  }
  // Whatever followed key3 in the same read is already framed data.
  Draft75::parse(data);
}

}  // namespace faye::driver
