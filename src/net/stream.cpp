#include "faye/net/stream.hpp"

#include <asio/error.hpp>

namespace faye::net {

Stream::Stream(Socket socket) : socket_(std::move(socket)) {
  // Non-blocking at the descriptor level: reads and writes are attempted
  // directly, and OpenSSL (which calls read/write on the fd) must not block.
  std::error_code ignored;
  socket_.non_blocking(true, ignored);
}

Stream::~Stream() = default;

namespace {

IoResult result_of(std::size_t bytes, const std::error_code& ec, Wait wait_on_block) {
  if (ec == asio::error::would_block || ec == asio::error::try_again)
    return {bytes, wait_on_block, {}};
  return {bytes, Wait::none, ec};
}

}  // namespace

IoResult TcpStream::read_some(MutableBytes into) {
  std::error_code ec;
  const std::size_t n = socket_.read_some(asio::buffer(into.data(), into.size()), ec);
  return result_of(n, ec, Wait::read);
}

IoResult TcpStream::write_some(std::span<const asio::const_buffer> buffers) {
  std::error_code ec;
  const std::size_t n = socket_.write_some(buffers, ec);
  return result_of(n, ec, Wait::write);
}

IoResult TcpStream::shutdown_send() {
  std::error_code ec;
  socket_.shutdown(Socket::shutdown_send, ec);
  return {0, Wait::none, ec};
}

std::string to_string(const asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return text + ':' + std::to_string(endpoint.port());
}

}  // namespace faye::net
