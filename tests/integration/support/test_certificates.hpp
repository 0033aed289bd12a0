#pragma once
// A throwaway certificate authority made in-process with OpenSSL's C API, so that the TLS tests
// need no files, no openssl command and no network. Keys are P-256; certificates last a day.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

namespace herald::http_test {

struct pem_pair {
  std::string cert_pem;
  std::string key_pem;
};

class test_ca {
 public:
  explicit test_ca(const std::string& common_name) : key_(make_key()), cert_(nullptr, X509_free) {
    cert_ = make_cert(key_.get(), common_name, nullptr, key_.get(), "");
  }

  std::string ca_pem() const { return cert_to_pem(cert_.get()); }

  // A server certificate signed by this CA; subject_alt_name like "DNS:localhost,IP:127.0.0.1".
  pem_pair issue_server(const std::string& common_name, const std::string& subject_alt_name) const {
    auto key = make_key();
    auto cert = make_cert(key.get(), common_name, cert_.get(), key_.get(), subject_alt_name);
    return {cert_to_pem(cert.get()), key_to_pem(key.get())};
  }

 private:
  using key_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
  using cert_ptr = std::unique_ptr<X509, decltype(&X509_free)>;

  static void check(bool is_ok, const char* what) {
    if (!is_ok) throw std::runtime_error(std::string("test certificate: ") + what);
  }

  static key_ptr make_key() {
    key_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
    check(key != nullptr, "key generation");
    return key;
  }

  static void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, "extension");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }

  // issuer == nullptr: self-signed CA certificate.
  static cert_ptr make_cert(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key,
                            const std::string& subject_alt_name) {
    cert_ptr cert(X509_new(), X509_free);
    check(cert != nullptr, "X509_new");
    X509* c = cert.get();
    X509_set_version(c, 2);
    unsigned char serial[8];
    check(RAND_bytes(serial, sizeof serial) == 1, "serial");
    serial[0] &= 0x7f;
    BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
    X509_set_pubkey(c, key);
    X509_NAME* name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
    X509* signer = issuer ? issuer : c;
    add_extension(c, signer, NID_subject_key_identifier, "hash");
    if (issuer == nullptr) {
      add_extension(c, signer, NID_basic_constraints, "critical,CA:TRUE");
      add_extension(c, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
      add_extension(c, signer, NID_authority_key_identifier, "keyid");
      add_extension(c, signer, NID_basic_constraints, "CA:FALSE");
      add_extension(c, signer, NID_key_usage, "critical,digitalSignature");
      add_extension(c, signer, NID_ext_key_usage, "serverAuth");
      add_extension(c, signer, NID_subject_alt_name, subject_alt_name.c_str());
    }
    check(X509_sign(c, issuer_key, EVP_sha256()) > 0, "signing");
    return cert;
  }

  template <class Write>
  static std::string to_pem(Write write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    check(bio && write(bio.get()) == 1, "PEM encoding");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(size));
  }
  static std::string cert_to_pem(X509* cert) {
    return to_pem([cert](BIO* b) { return PEM_write_bio_X509(b, cert); });
  }
  static std::string key_to_pem(EVP_PKEY* key) {
    return to_pem([key](BIO* b) { return PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr); });
  }

  key_ptr key_;
  cert_ptr cert_;
};

// A file in the temporary directory that is removed again (http_config::ca_file is a path).
class temp_file {
 public:
  explicit temp_file(const std::string& contents) {
    unsigned char random[8];
    RAND_bytes(random, sizeof random);
    std::string name = "herald-test-";
    for (unsigned char b : random) name += "0123456789abcdef"[b >> 4], name += "0123456789abcdef"[b & 15];
    path_ = std::filesystem::temp_directory_path() / (name + ".pem");
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~temp_file() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }
  temp_file(const temp_file&) = delete;
  temp_file& operator=(const temp_file&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace herald::http_test
