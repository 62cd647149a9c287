// A non-blocking client socket, plain TCP or TLS (OpenSSL on the same fd),
// with one read/write interface so that the engines ignore the difference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <openssl/ssl.h>

namespace faye::load {

// The client's TLS settings, shared by every connection of a run.
class TlsClientContext {
 public:
  // Verifies the server's chain and host name against `ca_file` (or the
  // system's store when empty), unless `insecure`. Throws std::runtime_error.
  TlsClientContext(const std::string& ca_file, bool insecure);
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  ~TlsClientContext();
  SSL_CTX* get() const { return context_; }

 private:
  SSL_CTX* context_ = nullptr;
};

class Stream {
 public:
  static constexpr long kWouldBlock = -1;
  static constexpr long kClosed = -2;  // end of stream or an error

  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { close(); }

  void attach(int fd) { fd_ = fd; }
  // Starts TLS over the attached socket, with SNI and host name checks.
  bool start_tls(SSL_CTX* context, const std::string& host);
  // Advances the TLS handshake: 1 done, kWouldBlock, or kClosed (see error()).
  long handshake();

  // Bytes moved (> 0), kWouldBlock or kClosed.
  long read(std::uint8_t* data, std::size_t size);
  long write(const std::uint8_t* data, std::size_t size);
  // Writes what is left of `bytes` after the first `written` (advanced as it
  // goes) until done or the socket would block; false when the stream is closed.
  template <class Count>
  bool write_rest(const std::vector<std::uint8_t>& bytes, Count& written) {
    while (written < bytes.size()) {
      const long wrote = write(bytes.data() + written, bytes.size() - written);
      if (wrote == kWouldBlock) return true;
      if (wrote == kClosed) return false;
      written = static_cast<Count>(written + static_cast<std::size_t>(wrote));
    }
    return true;
  }
  // TLS may hold decrypted bytes that the socket no longer signals.
  bool has_buffered_input() const { return ssl_ != nullptr && SSL_pending(ssl_) > 0; }
  // TLS needs the socket writable to make progress (a read may need a write).
  bool wants_write() const { return ssl_wants_write_; }

  int fd() const { return fd_; }
  bool secure() const { return ssl_ != nullptr; }
  std::string error() const { return error_; }
  void close();

 private:
  long ssl_result(int result);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  bool ssl_wants_write_ = false;
  std::string error_;
};

}  // namespace faye::load
