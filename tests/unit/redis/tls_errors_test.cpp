// What a failed TLS connection to Redis tells the operator (src/redis/tls.cpp), row by row:
// which errors are the configuration's (refused, said once) and how each reads.
#include <doctest/doctest.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

// Internal to the redis component (not a public header).
#include "../../../src/redis/tls.hpp"

using herald::redis::detail::describe_tls_error;
using herald::redis::detail::is_tls_configuration_error;
using herald::redis::detail::tls_server_name;
using herald::redis::detail::tls_verify_failure;

namespace {

boost::system::error_code ssl_error(int reason) {
  return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), boost::asio::error::get_ssl_category()};
}

}  // namespace

TEST_CASE("a certificate that failed verification is named with its issuer, the reason and the name checked") {
  tls_verify_failure expired{"certificate has expired", "/O=Shop/CN=redis.internal", "/O=Shop/CN=Shop CA", 0};
  CHECK(describe_tls_error(ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED), &expired, "redis.internal") ==
        "certificate verify failed: certificate has expired (certificate /O=Shop/CN=redis.internal, issued by "
        "/O=Shop/CN=Shop CA; server name 'redis.internal', trusted CAs from redis.tls.ca_file or the system)");
  tls_verify_failure chain{"unable to get local issuer certificate", "/CN=Shop CA", "/CN=Root", 1};
  CHECK(describe_tls_error(ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED), &chain, "10.0.0.5")
            .find(", issued by /CN=Root, 1 above the server's own; server name '10.0.0.5'") != std::string::npos);
  CHECK(is_tls_configuration_error(ssl_error(SSL_R_CERTIFICATE_VERIFY_FAILED)));
}

TEST_CASE("TLS errors without a verification failure say what they most likely mean") {
  tls_verify_failure none;
  struct row {
    int reason;
    const char* says;
  };
  for (const row& r : {row{SSL_R_WRONG_VERSION_NUMBER, "the server does not speak TLS on this port"},
                       row{SSL_R_PACKET_LENGTH_TOO_LONG, "the server does not speak TLS on this port"},
                       row{SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED, "the server requires a client certificate"},
                       row{SSL_R_TLSV1_ALERT_UNKNOWN_CA, "the server refused the client certificate"},
                       row{SSL_R_SSLV3_ALERT_BAD_CERTIFICATE, "the server refused the client certificate"},
                       row{SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED, "the server refused the client certificate"}}) {
    CAPTURE(r.reason);
    const auto text = describe_tls_error(ssl_error(r.reason), &none, "localhost");
    CHECK(text.find(r.says) != std::string::npos);
    CHECK(is_tls_configuration_error(ssl_error(r.reason)));
  }
}

TEST_CASE("network failures are not configuration errors: they are retried quietly") {
  CHECK(describe_tls_error(boost::asio::ssl::error::stream_truncated, nullptr, "localhost") ==
        "connection closed by the server during the TLS handshake");
  CHECK_FALSE(is_tls_configuration_error(boost::asio::ssl::error::stream_truncated));
  const boost::system::error_code refused = boost::asio::error::connection_refused;
  CHECK(describe_tls_error(refused, nullptr, "localhost") == refused.message());
  CHECK_FALSE(is_tls_configuration_error(refused));
  CHECK_FALSE(is_tls_configuration_error(boost::asio::error::connection_reset));
}

TEST_CASE("the name checked against the certificate is redis.tls.server_name, else redis.host") {
  herald::config::redis_config cfg;
  cfg.host = "10.0.0.5";
  CHECK(tls_server_name(cfg) == "10.0.0.5");
  cfg.tls.server_name = "redis.internal";
  CHECK(tls_server_name(cfg) == "redis.internal");
}
