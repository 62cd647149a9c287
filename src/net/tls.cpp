#include "faye/net/tls.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <asio/error.hpp>
#include <asio/ip/address.hpp>
#include <asio/ssl/error.hpp>

#include "faye/error.hpp"
#include "faye/net/event_loop.hpp"
#include "faye/net/timer.hpp"

namespace faye::net {
namespace {

class VerifyCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "faye.tls.verify"; }
  std::string message(int value) const override {
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(value);
  }
};

void describe(std::string* what, std::string_view field, const std::string& file,
              const std::error_code& ec) {
  if (what) *what = std::string(field) + " '" + file + "': " + ec.message();
}

// Settings both roles share: TLS 1.2 at least (RFC 8996 retires 1.0 and 1.1),
// no renegotiation (a denial-of-service lever and a source of writes during
// reads), and a peer closing TCP without close_notify reads as end of input:
// WebSocket has its own closing handshake to detect truncation.
bool configure_common(asio::ssl::context& context, std::error_code& ec) {
  SSL_CTX* native = context.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    ec = std::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    return false;
  }
  SSL_CTX_set_options(
      native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  return true;
}

// A socket BIO that sends with MSG_NOSIGNAL: OpenSSL's own uses write(),
// which raises SIGPIPE when the peer has reset the connection.
int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
  const ssize_t n = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(bio)));
  const ssize_t n = ::recv(fd, data, static_cast<std::size_t>(size), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int command, long, void*) {
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO* new_socket_bio(int fd) {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "faye socket");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  BIO* bio = BIO_new(method);
  if (bio) BIO_set_data(bio, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  return bio;
}

}  // namespace

const std::error_category& tls_verify_category() noexcept {
  static const VerifyCategory category;
  return category;
}

TlsContext make_server_context(const TlsServerConfig& config, std::error_code& ec,
                               std::string* what) {
  ec.clear();
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  const auto failed = [&](std::string_view field, const std::string& file) {
    if (ec) describe(what, field, file, ec);
    return static_cast<bool>(ec);
  };
  if (!configure_common(*context, ec)) {
    if (what) *what = "TLS context: " + ec.message();
    return nullptr;
  }
  context->use_certificate_chain_file(config.cert_file, ec);
  if (failed("cert_file", config.cert_file)) return nullptr;
  context->use_private_key_file(config.key_file, asio::ssl::context::pem, ec);
  if (failed("key_file", config.key_file)) return nullptr;
  return context;
}

TlsContext make_client_context(const TlsClientConfig& config, std::error_code& ec,
                               std::string* what) {
  ec.clear();
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  const auto failed = [&](std::string_view field, const std::string& file) {
    if (ec) describe(what, field, file, ec);
    return static_cast<bool>(ec);
  };
  if (!configure_common(*context, ec)) {
    if (what) *what = "TLS context: " + ec.message();
    return nullptr;
  }
  context->set_verify_mode(config.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer, ec);
  if (!config.insecure) {
    if (!config.ca_file.empty()) {
      context->load_verify_file(config.ca_file, ec);
      if (failed("ca_file", config.ca_file)) return nullptr;
    }
    if (!config.ca_dir.empty()) {
      context->add_verify_path(config.ca_dir, ec);
      if (failed("ca_dir", config.ca_dir)) return nullptr;
    }
    if (config.ca_file.empty() && config.ca_dir.empty()) {
      context->set_default_verify_paths(ec);
      if (failed("default trust store", "")) return nullptr;
    }
  }
  if (!config.cert_file.empty()) {
    context->use_certificate_chain_file(config.cert_file, ec);
    if (failed("cert_file", config.cert_file)) return nullptr;
  }
  if (!config.key_file.empty()) {
    context->use_private_key_file(config.key_file, asio::ssl::context::pem, ec);
    if (failed("key_file", config.key_file)) return nullptr;
  }
  return context;
}

std::unique_ptr<TlsStream> TlsStream::create(Socket socket, const TlsContext& context, Role role,
                                             std::string_view server_name, std::error_code& ec) {
  ec.clear();
  ERR_clear_error();
  SSL* ssl = context ? SSL_new(context->native_handle()) : nullptr;
  if (!ssl) {
    ec = context
             ? std::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category())
             : std::make_error_code(std::errc::invalid_argument);
    return nullptr;
  }
  // Partial writes and moving buffers let a write that would block be retried
  // from the front of a queue that has grown meanwhile; released buffers keep
  // idle connections small.
  SSL_set_mode(ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                        SSL_MODE_RELEASE_BUFFERS);
  // The BIO does not own the descriptor: the asio socket closes it.
  BIO* bio = new_socket_bio(static_cast<int>(socket.native_handle()));
  bool ok = bio != nullptr;
  if (ok) SSL_set_bio(ssl, bio, bio);
  if (role == Role::server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
    const bool verify = (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0;
    if (ok && !server_name.empty()) {
      const std::string name(server_name);
      std::error_code not_ip;
      asio::ip::make_address(name, not_ip);
      if (!not_ip) {
        // RFC 6066 3: SNI carries host names only; an address is checked
        // against the certificate's IP address entries.
        if (verify) ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
      } else {
        ok = SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
        if (ok && verify) {
          SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
          ok = SSL_set1_host(ssl, name.c_str()) == 1;
        }
      }
    }
  }
  if (!ok) {
    ec = std::error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
    SSL_free(ssl);
    return nullptr;
  }
  return std::unique_ptr<TlsStream>(new TlsStream(std::move(socket), ssl));
}

TlsStream::TlsStream(Socket socket, SSL* ssl) : Stream(std::move(socket)), ssl_(ssl) {}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

IoResult TlsStream::result_of(int ret, std::size_t bytes) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_NONE:
      return {bytes, Wait::none, {}};
    case SSL_ERROR_WANT_READ:
      return {bytes, Wait::read, {}};
    case SSL_ERROR_WANT_WRITE:
      return {bytes, Wait::write, {}};
    case SSL_ERROR_ZERO_RETURN:
      return {bytes, Wait::none, asio::error::eof};
    case SSL_ERROR_SYSCALL: {
      if (const unsigned long e = ERR_get_error()) {
        ERR_clear_error();
        return {bytes, Wait::none, {static_cast<int>(e), asio::error::get_ssl_category()}};
      }
      if (saved_errno == 0) return {bytes, Wait::none, asio::error::eof};
      return {bytes, Wait::none, {saved_errno, std::system_category()}};
    }
    default: {
      const unsigned long e = ERR_peek_last_error();
      const long verify = SSL_get_verify_result(ssl_);
      ERR_clear_error();
      if (ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
        return {bytes, Wait::none, {static_cast<int>(verify), tls_verify_category()}};
      }
      if (e == 0) return {bytes, Wait::none, asio::ssl::error::unspecified_system_error};
      return {bytes, Wait::none, {static_cast<int>(e), asio::error::get_ssl_category()}};
    }
  }
}

IoResult TlsStream::handshake() {
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_do_handshake(ssl_);
  if (ret == 1) return {};
  return result_of(ret, 0);
}

IoResult TlsStream::read_some(MutableBytes into) {
  ERR_clear_error();
  errno = 0;
  std::size_t n = 0;
  const int ret = SSL_read_ex(ssl_, into.data(), into.size(), &n);
  if (ret == 1) return {n, Wait::none, {}};
  return result_of(ret, 0);
}

IoResult TlsStream::write_some(std::span<const asio::const_buffer> buffers) {
  // One plain buffer per call: the queue keeps the front buffer stable until
  // it is written, which is what OpenSSL requires of a retried SSL_write.
  for (const auto& buffer : buffers) {
    if (buffer.size() == 0) continue;
    ERR_clear_error();
    errno = 0;
    std::size_t n = 0;
    const int ret = SSL_write_ex(ssl_, buffer.data(), buffer.size(), &n);
    if (ret == 1) return {n, Wait::none, {}};
    return result_of(ret, 0);
  }
  return {};
}

IoResult TlsStream::shutdown_send() {
  ERR_clear_error();
  errno = 0;
  const int ret = SSL_shutdown(ssl_);
  if (ret < 0) {
    IoResult result = result_of(ret, 0);
    // Waiting for the peer's close_notify is not our business here: ours is sent.
    if (result.wait != Wait::write) return result.error ? result : IoResult{};
    return result;
  }
  if (::shutdown(fd_, SHUT_WR) != 0) {
    return {0, Wait::none, std::error_code(errno, asio::error::get_system_category())};
  }
  return {};
}

namespace {

struct HandshakeOperation : std::enable_shared_from_this<HandshakeOperation> {
  HandshakeOperation(EventLoop& loop, std::unique_ptr<TlsStream> stream, HandshakeHandler done)
      : timer(loop), stream(std::move(stream)), done(std::move(done)) {}

  void step() {
    if (finished) return;
    const IoResult result = stream->handshake();
    if (result.error || result.wait == Wait::none) return finish(result.error);
    const auto wait = result.wait == Wait::read ? Socket::wait_read : Socket::wait_write;
    stream->socket().async_wait(wait, [self = shared_from_this()](const std::error_code& ec) {
      if (self->finished) return;
      if (ec) return self->finish(ec);
      self->step();
    });
  }

  void finish(std::error_code ec) {
    finished = true;
    timer.cancel();
    auto handler = std::move(done);
    if (ec) {
      stream.reset();
      handler(ec, nullptr);
    } else {
      handler({}, std::move(stream));
    }
  }

  Timer timer;
  std::unique_ptr<TlsStream> stream;
  HandshakeHandler done;
  bool finished = false;
};

}  // namespace

void async_handshake(EventLoop& loop, std::unique_ptr<TlsStream> stream,
                     std::chrono::steady_clock::duration timeout, HandshakeHandler done) {
  auto operation = std::make_shared<HandshakeOperation>(loop, std::move(stream), std::move(done));
  operation->timer.start(timeout, [weak = std::weak_ptr<HandshakeOperation>(operation)] {
    auto self = weak.lock();
    if (!self || self->finished) return;
    self->finish(faye::Error::handshake_timeout);
  });
  // Posted, so that `done` never runs inside async_handshake().
  loop.post([operation] { operation->step(); });
}

}  // namespace faye::net
