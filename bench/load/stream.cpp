#include "stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace faye::load {
namespace {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "TLS failure";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

}  // namespace

TlsClientContext::TlsClientContext(const std::string& ca_file, bool insecure)
    : context_(SSL_CTX_new(TLS_client_method())) {
  if (context_ == nullptr) throw std::runtime_error("cannot create a TLS context");
  // Partial writes keep the non-blocking write path the same as plain TCP.
  SSL_CTX_set_mode(context_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (insecure) {
    SSL_CTX_set_verify(context_, SSL_VERIFY_NONE, nullptr);
    return;
  }
  SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(context_)
                         : SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr);
  if (loaded != 1) {
    SSL_CTX_free(context_);
    throw std::runtime_error("cannot load the CA certificates: " + openssl_error());
  }
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(context_); }

bool Stream::start_tls(SSL_CTX* context, const std::string& host) {
  ssl_ = SSL_new(context);
  if (ssl_ == nullptr || SSL_set_fd(ssl_, fd_) != 1) {
    error_ = openssl_error();
    return false;
  }
  SSL_set_connect_state(ssl_);
  if (SSL_CTX_get_verify_mode(context) != SSL_VERIFY_NONE) {
    // An IP literal is checked against the certificate's IP addresses, a
    // name against its DNS names (and is sent as SNI).
    if (X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
      SSL_set_tlsext_host_name(ssl_, host.c_str());
      SSL_set1_host(ssl_, host.c_str());
    }
  } else if (host.find_first_not_of("0123456789.:") != std::string::npos) {
    SSL_set_tlsext_host_name(ssl_, host.c_str());
  }
  return true;
}

long Stream::handshake() {
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    ssl_wants_write_ = false;
    return 1;
  }
  return ssl_result(result);
}

long Stream::ssl_result(int result) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      ssl_wants_write_ = false;
      return kWouldBlock;
    case SSL_ERROR_WANT_WRITE:
      ssl_wants_write_ = true;
      return kWouldBlock;
    case SSL_ERROR_ZERO_RETURN:
      error_ = "TLS closed by the server";
      return kClosed;
    case SSL_ERROR_SYSCALL:
      error_ = errno != 0 ? std::strerror(errno) : "connection closed by the server";
      ERR_clear_error();
      return kClosed;
    default:
      error_ = openssl_error();
      return kClosed;
  }
}

long Stream::read(std::uint8_t* data, std::size_t size) {
  if (ssl_ != nullptr) {
    const int result = SSL_read(ssl_, data, static_cast<int>(size));
    if (result > 0) {
      ssl_wants_write_ = false;
      return result;
    }
    return ssl_result(result);
  }
  for (;;) {
    const ssize_t result = ::recv(fd_, data, size, 0);
    if (result > 0) return result;
    if (result == 0) {
      error_ = "connection closed by the server";
      return kClosed;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    error_ = std::strerror(errno);
    return kClosed;
  }
}

long Stream::write(const std::uint8_t* data, std::size_t size) {
  if (ssl_ != nullptr) {
    const int result = SSL_write(ssl_, data, static_cast<int>(size));
    if (result > 0) {
      ssl_wants_write_ = false;
      return result;
    }
    return ssl_result(result);
  }
  for (;;) {
    const ssize_t result = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (result >= 0) return result == 0 ? kWouldBlock : result;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return kWouldBlock;
    error_ = std::strerror(errno);
    return kClosed;
  }
}

void Stream::close() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  ssl_wants_write_ = false;
}

}  // namespace faye::load
