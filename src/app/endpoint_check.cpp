#include "endpoint_check.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <ctime>
#include <memory>

#include "../http/tls_context.hpp"

namespace herald::app {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// As the worker's connections do (src/http/connection.cpp): a host-name mismatch is recorded, so
// that the error says so rather than "certificate verify failed" with a verify result of "ok".
struct verify_host_name {
  asio::ssl::host_name_verification check;
  bool operator()(bool preverified, asio::ssl::verify_context& ctx) const {
    const bool is_ok = check(preverified, ctx);
    if (preverified && !is_ok) X509_STORE_CTX_set_error(ctx.native_handle(), X509_V_ERR_HOSTNAME_MISMATCH);
    return is_ok;
  }
};

std::string name_text(X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return text;
}

// notAfter as yyyy-MM-ddTHH:mm:ssZ, and whole days from now (negative: expired).
std::string not_after_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "(unreadable)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  int days = 0, seconds = 0;
  std::string text = buf;
  if (ASN1_TIME_diff(&days, &seconds, nullptr, t) == 1) text += " (in " + std::to_string(days) + " days)";
  return text;
}

std::string certificate_text(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return "no certificate";
  std::string text = "certificate subject \"" + name_text(X509_get_subject_name(cert)) + "\", issuer \"" +
                     name_text(X509_get_issuer_name(cert)) + "\", notAfter " + not_after_text(X509_get0_notAfter(cert));
  X509_free(cert);
  return text;
}

std::string tls_error_text(const error_code& ec, SSL* ssl) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) text.append(": ").append(X509_verify_cert_error_string(verify));
  }
  return text;
}

struct probe {
  const config::endpoint& ep;
  const config::http_config& http;
  asio::ssl::context* tls = nullptr;  // null for http://
  std::string phase = "resolve";
  bool is_done = false;
  endpoint_check result;

  asio::awaitable<void> run() {
    const auto ex = co_await asio::this_coro::executor;
    const std::string where = ep.host + ":" + std::to_string(ep.port);
    error_code ec;
    const auto ip = asio::ip::make_address(ep.host, ec);
    const bool is_ip = !ec;
    tcp::resolver resolver(ex);
    auto [rec, results] = co_await resolver.async_resolve(ep.host, std::to_string(ep.port), use_tuple);
    if (rec) co_return finish(false, "resolve " + ep.host + ": " + rec.message());
    phase = "connect";
    asio::ssl::stream<tcp::socket> stream(ex, tls ? *tls : plain_context());
    auto [cec, peer] = co_await asio::async_connect(stream.next_layer(), results, use_tuple);
    if (cec) co_return finish(false, "connect " + where + ": " + cec.message());
    const std::string reached = "connected to " + peer.address().to_string() + ":" + std::to_string(peer.port());
    if (!tls) co_return finish(true, reached + " (plain HTTP: no TLS, allow_plain_http)");
    phase = "TLS handshake";
    SSL* ssl = stream.native_handle();
    // SNI carries host names only (RFC 6066 §3).
    if (!is_ip && SSL_set_tlsext_host_name(ssl, ep.host.c_str()) != 1)
      co_return finish(false, "TLS handshake " + where + ": cannot set the server name (SNI)");
    if (http.verify_peer) stream.set_verify_callback(verify_host_name{asio::ssl::host_name_verification(ep.host)});
    auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (hec) co_return finish(false, "TLS handshake " + where + ": " + tls_error_text(hec, ssl));
    std::string detail = reached + ", " + SSL_get_version(ssl) + ", " + certificate_text(ssl);
    if (!http.verify_peer) detail += " (NOT verified: http.verify_peer is false)";
    (void)ip;
    error_code ignored;
    stream.next_layer().close(ignored);
    co_return finish(true, detail);
  }

  void finish(bool is_ok, std::string detail) {
    is_done = true;
    result = {is_ok, std::move(detail)};
  }

  // An ssl::stream needs a context even where TLS is not used (plain http://).
  static asio::ssl::context& plain_context() {
    static asio::ssl::context ctx(asio::ssl::context::tls_client);
    return ctx;
  }
};

}  // namespace

endpoint_check check_endpoint(const config::endpoint& ep, const config::http_config& http, std::uint32_t timeout_ms) {
  std::unique_ptr<asio::ssl::context> tls;
  if (ep.scheme == "https") {
    try {
      tls = std::make_unique<asio::ssl::context>(http::make_client_tls_context(http));
    } catch (const std::exception& e) {
      return {false, e.what()};
    }
  }
  asio::io_context io(1);
  auto p = std::make_shared<probe>(probe{ep, http, tls.get()});
  asio::co_spawn(io, [p]() { return p->run(); }, [](std::exception_ptr) {});
  io.run_for(std::chrono::milliseconds(timeout_ms));
  if (!p->is_done) {
    return {false, p->phase + " " + ep.host + ":" + std::to_string(ep.port) + ": no answer within " +
                       std::to_string(timeout_ms) + " ms"};
  }
  return p->result;
}

}  // namespace herald::app
