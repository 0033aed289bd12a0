#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <stdexcept>

namespace herald::redis::detail {

namespace ssl = boost::asio::ssl;

namespace {

std::string name_of(X509_NAME* name) {
  if (name == nullptr) return "?";
  char buffer[512];
  X509_NAME_oneline(name, buffer, sizeof buffer);
  return buffer;
}

int ssl_reason(const boost::system::error_code& ec) {
  return ec.category() == boost::asio::error::get_ssl_category() ? ERR_GET_REASON(static_cast<unsigned long>(ec.value()))
                                                                 : 0;
}

bool is_not_tls(int reason) {
  // What OpenSSL says when the answer to its ClientHello is not a TLS record: Redis's plain port
  // answers the hello's bytes as a (bad) command.
  return reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
         reason == SSL_R_HTTP_REQUEST || reason == SSL_R_UNKNOWN_PROTOCOL;
}

bool is_client_certificate_refused(int reason) {
  return reason == SSL_R_TLSV1_ALERT_UNKNOWN_CA || reason == SSL_R_SSLV3_ALERT_BAD_CERTIFICATE ||
         reason == SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED || reason == SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN ||
         reason == SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED || reason == SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE ||
         reason == SSL_R_TLSV1_ALERT_ACCESS_DENIED || reason == SSL_R_TLSV1_ALERT_DECRYPT_ERROR;
}

}  // namespace

ssl::context make_tls_context(const config::redis_tls_config& cfg) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("redis.tls: cannot restrict TLS to version 1.2 or later");
  }
  boost::system::error_code ec;
  if (!cfg.cert_file.empty()) {
    ctx.use_certificate_chain_file(cfg.cert_file, ec);
    if (ec) {
      throw std::runtime_error("redis.tls.cert_file '" + cfg.cert_file + "': cannot load the client certificate: " +
                               ec.message());
    }
    ctx.use_private_key_file(cfg.key_file, ssl::context::pem, ec);
    if (ec) {
      throw std::runtime_error("redis.tls.key_file '" + cfg.key_file + "': cannot load the private key: " + ec.message());
    }
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
      throw std::runtime_error("redis.tls.key_file '" + cfg.key_file + "' is not the key of redis.tls.cert_file '" +
                               cfg.cert_file + "'");
    }
  }
  if (!cfg.verify_peer) {
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  if (cfg.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("redis.tls: cannot load the system's CA certificates: " + ec.message());
  } else {
    ctx.load_verify_file(cfg.ca_file, ec);
    if (ec) throw std::runtime_error("redis.tls.ca_file '" + cfg.ca_file + "': cannot load CA certificates: " + ec.message());
  }
  return ctx;
}

std::string tls_server_name(const config::redis_config& cfg) {
  return cfg.tls.server_name.empty() ? cfg.host : cfg.tls.server_name;
}

bool tls_verifier::operator()(bool preverified, ssl::verify_context& ctx) const {
  X509_STORE_CTX* store = ctx.native_handle();
  bool is_ok = preverified;
  // asio's check rejects a mismatching certificate without recording why; recording it makes
  // the handshake's error say so (the same as src/http/connection.cpp does).
  if (preverified && !ssl::host_name_verification(server_name)(preverified, ctx)) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
    is_ok = false;
  }
  if (!is_ok && failure && failure->reason.empty()) {
    const int error = X509_STORE_CTX_get_error(store);
    failure->reason = error == X509_V_ERR_HOSTNAME_MISMATCH
                          ? "the certificate is not for '" + server_name + "' (redis.tls.server_name, else redis.host)"
                          : X509_verify_cert_error_string(error);
    failure->depth = X509_STORE_CTX_get_error_depth(store);
    if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
      failure->subject = name_of(X509_get_subject_name(cert));
      failure->issuer = name_of(X509_get_issuer_name(cert));
    }
  }
  return is_ok;
}

std::string describe_tls_error(const boost::system::error_code& ec, const tls_verify_failure* failure,
                               std::string_view server_name) {
  if (failure != nullptr && !failure->reason.empty()) {
    std::string text = "certificate verify failed: " + failure->reason + " (certificate " + failure->subject +
                       ", issued by " + failure->issuer;
    if (failure->depth > 0) text += ", " + std::to_string(failure->depth) + " above the server's own";
    text += "; server name '" + std::string(server_name) + "', trusted CAs from redis.tls.ca_file or the system)";
    return text;
  }
  if (ec == ssl::error::stream_truncated) return "connection closed by the server during the TLS handshake";
  const int reason = ssl_reason(ec);
  if (is_not_tls(reason)) {
    return ec.message() + ": the server does not speak TLS on this port (redis.tls.enabled is true: a plain Redis port?)";
  }
  if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) {
    return ec.message() + ": the server requires a client certificate (redis.tls.cert_file and key_file)";
  }
  if (is_client_certificate_refused(reason)) {
    return ec.message() + ": the server refused the client certificate (redis.tls.cert_file, or none sent)";
  }
  return ec.message();
}

bool is_tls_configuration_error(const boost::system::error_code& ec) {
  const int reason = ssl_reason(ec);
  return reason == SSL_R_CERTIFICATE_VERIFY_FAILED || is_not_tls(reason) ||
         reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED || is_client_certificate_refused(reason);
}

}  // namespace herald::redis::detail
