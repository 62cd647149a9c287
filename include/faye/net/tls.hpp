// TLS contexts, the TLS stream and the handshake.
//
// TlsStream drives OpenSSL directly on the socket's descriptor rather than
// through asio::ssl::stream: the read path waits for readability and then
// decrypts straight into the loop's shared buffer, and writes are retried on
// writability, exactly like plain TCP. (asio::ssl::stream cannot mix that
// non-blocking synchronous read with its asynchronous writes: both use the
// same engine buffers.) With SSL_MODE_RELEASE_BUFFERS an idle TLS connection
// holds no record buffers either.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/ssl/context.hpp>

#include "faye/net/stream.hpp"

typedef struct ssl_st SSL;

namespace faye::net {

class EventLoop;

struct TlsServerConfig {
  std::string cert_file{};  // PEM certificate chain, leaf first
  std::string key_file{};   // PEM private key
};

struct TlsClientConfig {
  std::string ca_file{};  // PEM bundle of trusted CAs
  std::string ca_dir{};   // OpenSSL hashed directory of trusted CAs
  // With neither ca_file nor ca_dir, the system's default trust store is used.
  std::string cert_file{};  // optional client certificate
  std::string key_file{};
  // Turns certificate verification (chain and host name) off. For tests only.
  bool insecure = false;
};

using TlsContext = std::shared_ptr<asio::ssl::context>;

// TLS 1.2 or later. On failure returns null and sets `ec`; `what` (when given)
// receives a message naming the file and the reason.
TlsContext make_server_context(const TlsServerConfig& config, std::error_code& ec,
                               std::string* what = nullptr);
// Verification of the chain and of the host name is on unless `insecure`.
TlsContext make_client_context(const TlsClientConfig& config, std::error_code& ec,
                               std::string* what = nullptr);

// Certificate verification failures: the value is OpenSSL's X509_V_ERR_*
// code; the message reads "certificate verify failed: hostname mismatch".
const std::error_category& tls_verify_category() noexcept;

class TlsStream final : public Stream {
 public:
  enum class Role { client, server };

  // For a client, `server_name` is sent as SNI (unless it is an IP address)
  // and checked against the certificate when the context verifies peers.
  static std::unique_ptr<TlsStream> create(Socket socket, const TlsContext& context, Role role,
                                           std::string_view server_name, std::error_code& ec);
  ~TlsStream() override;

  bool is_secure() const noexcept override { return true; }
  // One step of the handshake: done when it returns no error and Wait::none.
  IoResult handshake();
  IoResult read_some(MutableBytes into) override;
  IoResult write_some(std::span<const asio::const_buffer> buffers) override;
  IoResult shutdown_send() override;

  SSL* native_handle() noexcept { return ssl_; }

 private:
  TlsStream(Socket socket, SSL* ssl);
  IoResult result_of(int ret, std::size_t bytes);

  SSL* ssl_;
};

// Completes a TLS handshake within `timeout`, then hands the stream back.
// Failures: faye::Error::handshake_timeout, a tls_verify_category() code, an
// OpenSSL error (asio::error::get_ssl_category()) or a socket error.
using HandshakeHandler = std::function<void(std::error_code, std::unique_ptr<TlsStream>)>;
void async_handshake(EventLoop& loop, std::unique_ptr<TlsStream> stream,
                     std::chrono::steady_clock::duration timeout, HandshakeHandler done);

}  // namespace faye::net
