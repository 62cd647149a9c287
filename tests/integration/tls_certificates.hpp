// Certificates for TLS tests, made at test time with OpenSSL's C API into a
// temporary directory (removed by the destructor): a CA, and leaves signed by
// it for "localhost" + 127.0.0.1, for the same names but expired, and for
// another name ("wrong.example"); plus a self-signed certificate nobody
// trusts. Every key is ECDSA P-256 (fast to generate).
//
// Failures throw std::runtime_error with OpenSSL's reason.
#pragma once

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

namespace faye::test {

// A certificate (PEM) and its private key (PEM).
struct CertificateFiles {
  std::string cert;
  std::string key;
};

class TestCertificates {
 public:
  TestCertificates() {
    std::string pattern = (std::filesystem::temp_directory_path() / "faye-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;

    auto ca_key = new_key();
    auto ca = new_certificate(ca_key.get(), "faye test CA", nullptr, nullptr, -3600, 86400,
                              {{NID_basic_constraints, "critical,CA:TRUE"},
                               {NID_key_usage, "critical,keyCertSign,cRLSign"},
                               {NID_subject_key_identifier, "hash"}});
    ca_ = write("ca", ca.get(), ca_key.get());

    const Extensions leaf_for_localhost = {{NID_basic_constraints, "critical,CA:FALSE"},
                                           {NID_ext_key_usage, "serverAuth"},
                                           {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"}};
    localhost_ = make_leaf("localhost", "localhost", ca.get(), ca_key.get(), -3600, 86400,
                           leaf_for_localhost);
    // Valid two days ago for one day: X509_gmtime_adj with negative offsets.
    expired_ = make_leaf("expired", "localhost", ca.get(), ca_key.get(), -2 * 86400, -86400,
                         leaf_for_localhost);
    wrong_name_ = make_leaf("wrong-name", "wrong.example", ca.get(), ca_key.get(), -3600, 86400,
                            {{NID_basic_constraints, "critical,CA:FALSE"},
                             {NID_ext_key_usage, "serverAuth"},
                             {NID_subject_alt_name, "DNS:wrong.example"}});
    auto self_key = new_key();
    auto self = new_certificate(self_key.get(), "localhost", nullptr, nullptr, -3600, 86400,
                                leaf_for_localhost);
    self_signed_ = write("self-signed", self.get(), self_key.get());
  }
  TestCertificates(const TestCertificates&) = delete;
  TestCertificates& operator=(const TestCertificates&) = delete;
  ~TestCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // The CA certificate, to trust (TlsOptions::ca_file); its key too.
  const CertificateFiles& ca() const { return ca_; }
  // Signed by ca(): DNS localhost and IP 127.0.0.1, valid now.
  const CertificateFiles& localhost() const { return localhost_; }
  // Same names, signed by ca(), but its notAfter is a day in the past.
  const CertificateFiles& expired() const { return expired_; }
  // Signed by ca(), valid now, but for "wrong.example" only.
  const CertificateFiles& wrong_name() const { return wrong_name_; }
  // Valid for localhost and 127.0.0.1, but signed by itself.
  const CertificateFiles& self_signed() const { return self_signed_; }
  const std::filesystem::path& directory() const { return dir_; }

 private:
  struct Extension {
    int nid;
    const char* value;
  };
  using Extensions = std::initializer_list<Extension>;
  struct KeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  };
  struct X509Free {
    void operator()(X509* cert) const { X509_free(cert); }
  };
  using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
  using Cert = std::unique_ptr<X509, X509Free>;

  [[noreturn]] static void fail(const std::string& what) {
    char reason[256] = "no OpenSSL error";
    if (unsigned long code = ERR_get_error()) ERR_error_string_n(code, reason, sizeof reason);
    ERR_clear_error();
    throw std::runtime_error("test certificates: " + what + ": " + reason);
  }
  static void check(bool ok, const char* what) {
    if (!ok) fail(what);
  }

  static Key new_key() {
    Key key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen");
    return key;
  }

  // `issuer` null: self-signed. Validity is [now + not_before, now + not_after]
  // in seconds.
  static Cert new_certificate(EVP_PKEY* key, const char* common_name, X509* issuer,
                              EVP_PKEY* issuer_key, long not_before, long not_after,
                              Extensions extensions) {
    Cert cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
    // A random 64-bit serial: certificates of one issuer must differ.
    unsigned char serial[8];
    check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
    serial[0] &= 0x7F;
    BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
    check(number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get())),
          "serial number");
    BN_free(number);
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), not_before) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), not_after) != nullptr, "notAfter");
    check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("faye tests"), -1, -1,
                                     0) == 1,
          "subject O");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                     0) == 1,
          "subject CN");
    X509* signer = issuer != nullptr ? issuer : cert.get();
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer name");

    X509V3_CTX context;
    X509V3_set_ctx(&context, signer, cert.get(), nullptr, nullptr, 0);
    for (const Extension& extension : extensions) add_extension(cert.get(), context, extension);
    if (issuer != nullptr) {
      add_extension(cert.get(), context, {NID_authority_key_identifier, "keyid:always"});
    }
    check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
          "X509_sign");
    return cert;
  }

  static void add_extension(X509* cert, X509V3_CTX& context, Extension extension) {
    X509_EXTENSION* made = X509V3_EXT_conf_nid(nullptr, &context, extension.nid, extension.value);
    check(made != nullptr, extension.value);
    const bool added = X509_add_ext(cert, made, -1) == 1;
    X509_EXTENSION_free(made);
    check(added, "X509_add_ext");
  }

  CertificateFiles make_leaf(const char* file_name, const char* common_name, X509* ca,
                             EVP_PKEY* ca_key, long not_before, long not_after,
                             Extensions extensions) {
    auto key = new_key();
    auto cert =
        new_certificate(key.get(), common_name, ca, ca_key, not_before, not_after, extensions);
    return write(file_name, cert.get(), key.get());
  }

  CertificateFiles write(const std::string& name, X509* cert, EVP_PKEY* key) {
    CertificateFiles files{(dir_ / (name + ".crt")).string(), (dir_ / (name + ".key")).string()};
    std::FILE* out = std::fopen(files.cert.c_str(), "w");
    check(out != nullptr, "open certificate file");
    bool ok = PEM_write_X509(out, cert) == 1;
    std::fclose(out);
    check(ok, "PEM_write_X509");
    out = std::fopen(files.key.c_str(), "w");
    check(out != nullptr, "open key file");
    ok = PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    std::fclose(out);
    check(ok, "PEM_write_PrivateKey");
    return files;
  }

  std::filesystem::path dir_;
  CertificateFiles ca_, localhost_, expired_, wrong_name_, self_signed_;
};

}  // namespace faye::test
