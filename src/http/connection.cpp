// Two deadlines on the tcp_stream rather than one per phase: resolve + connect + TLS handshake
// share http.connect_timeout_ms, writing the request and reading its answer share
// http.request_timeout_ms (how long a call may take). A connection that failed is closed, never
// reused (docs/architecture.md "How we write code", Asynchrony and deadlines). The only
// translation unit of the component that instantiates Beast's HTTP and SSL operations.
#include "connection.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "herald/http/client_pool.hpp"  // max_response_body

namespace herald::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Generous for a gateway's answer headers; the body has its own limit.
constexpr std::uint32_t max_response_header = 64 * 1024;

using response_parser = bhttp::response_parser<bhttp::string_body>;

bool is_ip_literal(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

// asio's host_name_verification rejects a mismatching certificate without recording why, so the
// handshake error would read "certificate verify failed" with a verify result of "ok". Recording
// the mismatch makes the message say what is wrong.
struct verify_host_name {
  asio::ssl::host_name_verification check;
  bool operator()(bool preverified, asio::ssl::verify_context& ctx) const {
    const bool is_ok = check(preverified, ctx);
    if (preverified && !is_ok) X509_STORE_CTX_set_error(ctx.native_handle(), X509_V_ERR_HOSTNAME_MISMATCH);
    return is_ok;
  }
};

std::string tls_error_text(const error_code& ec, SSL* ssl) {
  std::string text = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) text.append(": ").append(X509_verify_cert_error_string(verify));
  }
  return text;
}

std::string error_text(const error_code& ec, std::uint32_t timeout_ms) {
  if (ec == beast::error::timeout) return describe_timeout(timeout_ms);
  if (ec == bhttp::error::end_of_stream) return "connection closed before a response";
  if (ec == bhttp::error::partial_message) return "connection closed in the middle of the response";
  if (ec == bhttp::error::body_limit) return "response body over the limit";
  return ec.message();
}

step_failure fail(phase p, std::string_view where, std::string_view what) {
  return step_failure{p, describe(p, where, what)};
}

// One contiguous buffer, not {head, body}: beast::ssl_stream's flat_stream (Boost 1.81) turns a
// write_some whose first buffer is empty into a write of 0 bytes, and asio::async_write then
// reports success. With the head already written and a body over 16 KiB, the body was silently
// never sent. Copying the body once per request is cheap next to encrypting it.
template <class Stream>
asio::awaitable<error_code> write_all(Stream& stream, const std::string& bytes) {
  auto [ec, written] = co_await asio::async_write(stream, asio::buffer(bytes), use_tuple);
  (void)written;
  co_return ec;
}

template <class Stream>
asio::awaitable<error_code> read_message(Stream& stream, beast::flat_buffer& buffer, response_parser& parser) {
  auto [ec, read] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
  (void)read;
  co_return ec;
}

}  // namespace

connection_target::connection_target(endpoint_key k)
    : key(std::move(k)),
      name(to_string(key)),
      where(authority(key)),
      host_header(http::host_header(key)),
      port_text(std::to_string(key.port)),
      is_ip(is_ip_literal(key.host)) {}

struct connection::impl {
  impl(const asio::any_io_executor& ex, asio::ssl::context& tls, bool tls_on, std::uint64_t generation)
      : stream(ex, tls), is_tls(tls_on), epoch(generation) {}

  beast::tcp_stream& tcp() { return stream.next_layer(); }

  // For plain HTTP only the tcp_stream underneath is used; the SSL object then goes unused.
  beast::ssl_stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;  // read buffer, kept for the connection's life
  std::string request_bytes;  // the request being sent (head + body), capacity kept
  bool is_tls;
  bool is_open = false;  // connected (and TLS handshake done)
  std::uint64_t epoch;   // the pool's close_all() generation it belongs to
};

connection::connection(const asio::any_io_executor& ex, asio::ssl::context& tls, bool is_tls, std::uint64_t epoch)
    : impl_(std::make_unique<impl>(ex, tls, is_tls, epoch)) {}

connection::~connection() = default;

std::string& connection::request_bytes() { return impl_->request_bytes; }
bool connection::is_open() const { return impl_->is_open; }
std::uint64_t connection::epoch() const { return impl_->epoch; }

void connection::close() {
  impl_->tcp().close();
  impl_->is_open = false;
}

// A server that closed the connection while it was idle has sent a FIN (under TLS usually a
// close_notify first): the socket is then readable. Any byte on an idle connection means it is
// closing or out of step, so it is not reused. This catches the common case before the write; a
// close racing with our write is what the write retry and, after it, the ambiguous outcome are for.
bool connection::is_alive_while_idle() {
  if (!impl_->is_open || impl_->buffer.size() != 0) return false;  // bytes beyond the last answer
  if (impl_->is_tls && SSL_pending(impl_->stream.native_handle()) > 0) return false;
  char byte = 0;
  const auto n = ::recv(impl_->tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return false;  // 0: closed by the peer; > 0: unexpected data
  return errno == EAGAIN || errno == EWOULDBLOCK;
}

asio::awaitable<std::optional<step_failure>> connection::open(const connection_target& target,
                                                              const config::http_config& cfg) {
  impl& c = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg.connect_timeout_ms);
  const auto connect_error = [&](const error_code& ec) {
    return fail(phase::connect, target.where,
                ec == beast::error::timeout ? describe_timeout(cfg.connect_timeout_ms) : ec.message());
  };
  auto& stream = c.tcp();
  if (target.is_ip) {
    stream.expires_at(deadline);
    const tcp::endpoint peer(asio::ip::make_address(target.key.host), target.key.port);
    auto [ec] = co_await stream.async_connect(peer, use_tuple);
    if (ec) co_return connect_error(ec);
  } else {
    // The resolver has no deadline of its own: a timer cancels it.
    struct resolve_op {
      explicit resolve_op(const asio::any_io_executor& ex) : resolver(ex) {}
      tcp::resolver resolver;
      bool is_timed_out = false;
    };
    const auto ex = co_await asio::this_coro::executor;
    auto op = std::make_shared<resolve_op>(ex);
    asio::steady_timer timer(ex);
    timer.expires_at(deadline);
    timer.async_wait([weak = std::weak_ptr<resolve_op>(op)](error_code ec) {
      if (ec) return;
      if (auto o = weak.lock()) {
        o->is_timed_out = true;
        o->resolver.cancel();
      }
    });
    auto [rec, results] = co_await op->resolver.async_resolve(target.key.host, target.port_text, use_tuple);
    timer.cancel();
    if (rec) {
      co_return fail(phase::resolve, target.where,
                     op->is_timed_out ? describe_timeout(cfg.connect_timeout_ms) : rec.message());
    }
    stream.expires_at(deadline);
    auto [ec, connected] = co_await stream.async_connect(results, use_tuple);
    (void)connected;
    if (ec) co_return connect_error(ec);
  }
  error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);

  if (c.is_tls) {
    SSL* ssl = c.stream.native_handle();
    // SNI carries host names only (RFC 6066 §3).
    if (!target.is_ip && SSL_set_tlsext_host_name(ssl, target.key.host.c_str()) != 1) {
      co_return fail(phase::handshake, target.where, "cannot set the server name (SNI)");
    }
    if (cfg.verify_peer) {
      c.stream.set_verify_callback(verify_host_name{asio::ssl::host_name_verification(target.key.host)});
    }
    auto [ec] = co_await c.stream.async_handshake(asio::ssl::stream_base::client, use_tuple);
    if (ec) {
      co_return fail(phase::handshake, target.where,
                     ec == beast::error::timeout ? describe_timeout(cfg.connect_timeout_ms) : tls_error_text(ec, ssl));
    }
  }
  stream.expires_never();
  c.is_open = true;
  co_return std::nullopt;
}

asio::awaitable<connection::round_trip_result> connection::round_trip(bool is_head_request, std::uint32_t timeout_ms,
                                                                      response& out) {
  impl& c = *impl_;
  round_trip_result result;
  // One budget for write and read: request_timeout_ms is how long a call may take.
  c.tcp().expires_after(std::chrono::milliseconds(timeout_ms));
  // if/else rather than ?: around co_await: GCC 12 evaluates both arms of
  // `x = cond ? co_await a() : co_await b();`.
  error_code ec;
  if (c.is_tls) {
    ec = co_await write_all(c.stream, c.request_bytes);
  } else {
    ec = co_await write_all(c.tcp(), c.request_bytes);
  }
  if (ec) {
    result.failure = fail(phase::write, "", error_text(ec, timeout_ms));
    co_return result;
  }

  // From here on the server may have acted on the request.
  std::optional<response_parser> parser;
  do {  // an interim 1xx answer is followed by the real one
    parser.emplace();
    parser->header_limit(max_response_header);
    parser->body_limit(max_response_body);
    if (is_head_request) parser->skip(true);
    if (c.is_tls) {
      ec = co_await read_message(c.stream, c.buffer, *parser);
    } else {
      ec = co_await read_message(c.tcp(), c.buffer, *parser);
    }
  } while (!ec && parser->get().result_int() / 100 == 1 && parser->get().result_int() != 101);
  if (ec) {
    result.failure = fail(phase::read, "", error_text(ec, timeout_ms));
    result.failure->is_timeout = ec == beast::error::timeout;
    co_return result;
  }
  c.tcp().expires_never();

  auto& res = parser->get();
  out.status = static_cast<int>(res.result_int());
  if (const auto it = res.find(bhttp::field::retry_after); it != res.end()) {
    out.retry_after.assign(it->value().data(), it->value().size());
  }
  out.body = std::move(res.body());
  // Connection: close (or HTTP/1.0 without keep-alive) is honoured by not keeping it; after a 101
  // the connection speaks another protocol.
  result.is_reusable = parser->keep_alive() && out.status != 101;
  co_return result;
}

}  // namespace herald::http
