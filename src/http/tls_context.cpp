#include "tls_context.hpp"

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace herald::http {

boost::asio::ssl::context make_client_tls_context(const config::http_config& cfg) {
  namespace ssl = boost::asio::ssl;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("http: cannot restrict TLS to version 1.2 or later");
  }
  if (!cfg.verify_peer) {
    ctx.set_verify_mode(ssl::verify_none);
    return ctx;
  }
  ctx.set_verify_mode(ssl::verify_peer);
  boost::system::error_code ec;
  if (cfg.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("http: cannot load the system's CA certificates: " + ec.message());
  } else {
    ctx.load_verify_file(cfg.ca_file, ec);
    if (ec) {
      throw std::runtime_error("http.ca_file '" + cfg.ca_file + "': cannot load CA certificates: " +
                               ec.message());
    }
  }
  return ctx;
}

}  // namespace herald::http
