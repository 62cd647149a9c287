#include "raw_connection.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace faye::load {
namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  return out;
}

std::string random_key() {
  static std::mt19937_64 generator{std::random_device{}()};
  unsigned char bytes[16];
  for (int i = 0; i < 16; i += 8) {
    const std::uint64_t value = generator();
    std::memcpy(bytes + i, &value, 8);
  }
  return base64(bytes, sizeof bytes);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string websocket_accept(const std::string& key) {
  const std::string input = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

RawConnection::Phase RawConnection::start(const Target& target, SSL_CTX* tls, bool offer_deflate) {
  target_ = &target;
  const int fd = ::socket(target.address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  stream_.attach(fd);
  // Echo traffic is many small writes that each expect an answer.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (target.secure && !stream_.start_tls(tls, target.host)) return fail(stream_.error());

  key_ = random_key();
  buffer_ = "GET " + target.path + " HTTP/1.1\r\nHost: " + target.host_header +
            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
            "\r\nSec-WebSocket-Version: 13\r\n";
  if (offer_deflate) {
    buffer_ += "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n";
  }
  buffer_ += "\r\n";
  written_ = 0;
  request_sent_ = false;

  if (::connect(fd, reinterpret_cast<const sockaddr*>(&target.address), target.address_length) != 0 &&
      errno != EINPROGRESS) {
    return fail(std::string("connect: ") + std::strerror(errno));
  }
  phase_ = Phase::connecting;
  return phase_;
}

std::uint32_t RawConnection::wanted_events() const {
  switch (phase_) {
    case Phase::connecting:
      return EPOLLOUT;
    case Phase::tls:
      return stream_.wants_write() ? EPOLLOUT : EPOLLIN;
    case Phase::upgrading:
      return !request_sent_ || stream_.wants_write() ? EPOLLOUT : EPOLLIN;
    default:
      return EPOLLIN;
  }
}

RawConnection::Phase RawConnection::advance() {
  if (phase_ == Phase::connecting) {
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(stream_.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == EINPROGRESS || error == EALREADY) return phase_;
    if (error != 0) return fail(std::string("connect: ") + std::strerror(error));
    // No error may also mean "not yet" (a stale wake-up): only a peer
    // address proves the connection is up.
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    if (::getpeername(stream_.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) return phase_;
    phase_ = stream_.secure() ? Phase::tls : Phase::upgrading;
  }
  if (phase_ == Phase::tls) {
    const long result = stream_.handshake();
    if (result == Stream::kWouldBlock) return phase_;
    if (result == Stream::kClosed) return fail("TLS handshake: " + stream_.error());
    phase_ = Phase::upgrading;
  }
  if (phase_ != Phase::upgrading) return phase_;

  if (!request_sent_) {
    while (written_ < buffer_.size()) {
      const long result = stream_.write(
          reinterpret_cast<const std::uint8_t*>(buffer_.data()) + written_, buffer_.size() - written_);
      if (result == Stream::kWouldBlock) return phase_;
      if (result == Stream::kClosed) return fail("sending the upgrade request: " + stream_.error());
      written_ += static_cast<std::size_t>(result);
    }
    // The request is out: the buffer now collects the response.
    request_sent_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
  }
  std::uint8_t chunk[4096];
  for (;;) {
    const long result = stream_.read(chunk, sizeof chunk);
    if (result == Stream::kWouldBlock) return phase_;
    if (result == Stream::kClosed) return fail("reading the handshake response: " + stream_.error());
    buffer_.append(reinterpret_cast<const char*>(chunk), static_cast<std::size_t>(result));
    if (const auto end = buffer_.find("\r\n\r\n"); end != std::string::npos) {
      return check_response(end + 4);
    }
    if (buffer_.size() > 16 * 1024) return fail("handshake response head too large");
  }
}

RawConnection::Phase RawConnection::check_response(std::size_t head_end) {
  const std::string_view head(buffer_.data(), head_end - 4);
  const auto line_end = head.find("\r\n");
  const std::string_view status = head.substr(0, line_end);
  if (status.size() < 12 || status.substr(0, 5) != "HTTP/" || status.substr(8, 4) != " 101") {
    return fail("handshake refused: " + std::string(status));
  }
  bool upgrade = false, connection = false, accept = false;
  const std::string expected = websocket_accept(key_);
  std::size_t position = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    auto next = head.find("\r\n", position);
    if (next == std::string_view::npos) next = head.size();
    const std::string_view line = head.substr(position, next - position);
    position = next + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Upgrade")) {
      upgrade = iequals(value, "websocket");
    } else if (iequals(name, "Connection")) {
      connection = icontains(value, "upgrade");
    } else if (iequals(name, "Sec-WebSocket-Accept")) {
      accept = value == expected;
    } else if (iequals(name, "Sec-WebSocket-Extensions")) {
      deflate_ = icontains(value, "permessage-deflate");
    }
  }
  if (!upgrade || !connection) return fail("101 without Upgrade: websocket / Connection: Upgrade");
  if (!accept) return fail("wrong or missing Sec-WebSocket-Accept");
  buffer_.erase(0, head_end);
  key_.clear();
  key_.shrink_to_fit();
  phase_ = Phase::open;
  return phase_;
}

void RawConnection::drop_leftover() {
  buffer_.clear();
  buffer_.shrink_to_fit();
}

RawConnection::Phase RawConnection::fail(std::string message) {
  error_ = std::move(message);
  stream_.close();
  phase_ = Phase::failed;
  return phase_;
}

void RawConnection::close() {
  stream_.close();
  buffer_.clear();
  buffer_.shrink_to_fit();
}

}  // namespace faye::load
