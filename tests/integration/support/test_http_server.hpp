#pragma once
// A small in-process HTTP(S) server for the client tests, on 127.0.0.1 with a port from the
// kernel. It runs on the test's own io_context and misbehaves on request: never answers, closes
// or resets after reading the request, closes a keep-alive connection after answering.
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace herald::http_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

enum class server_behaviour {
  answer,              // answer and keep the connection (if the client asked for keep-alive)
  answer_then_close,   // answer with keep-alive, then close the connection anyway (idle close)
  hang,                // read the request, never answer
  close_after_read,    // read the request, close the connection (FIN)
  reset_after_read,    // read the request, reset the connection (RST)
};

struct server_reply {
  server_behaviour behaviour = server_behaviour::answer;
  unsigned status = 200;
  std::string body;  // empty: echo the request body
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // before answering
  bool has_connection_close = false;   // answer with Connection: close
};

using server_request = bhttp::request<bhttp::string_body>;

struct server_stats {
  int connections_accepted = 0;
  int connections_open = 0;
  int max_connections_open = 0;
  int requests = 0;
  std::string last_server_name;  // SNI of the last TLS connection
  server_request last_request;
};

class test_http_server {
 public:
  // tls == nullptr serves plain HTTP. The context must outlive the server's connections.
  test_http_server(asio::any_io_executor ex, asio::ssl::context* tls)
      : state_(std::make_shared<state>(ex, tls)) {
    auto& a = state_->acceptor;
    const asio::ip::tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
    a.open(local.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(local);
    a.listen();
    port_ = a.local_endpoint().port();
    asio::co_spawn(ex, accept_loop(state_), asio::detached);
  }
  ~test_http_server() {
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
  }
  test_http_server(const test_http_server&) = delete;
  test_http_server& operator=(const test_http_server&) = delete;

  std::uint16_t port() const { return port_; }
  const server_stats& stats() const { return state_->stats; }
  // Decides the reply for each request; the default echoes the body with 200.
  void on_request(std::function<server_reply(const server_request&)> f) { state_->handler = std::move(f); }
  // While set, connections stop reading before their next request (the client's writes then
  // fill the socket buffers and stall). A connection already waiting for a request is not
  // affected: set it from on_request to stall the connection after this answer.
  void stall_reading(bool is_stalled) { state_->is_reading_stalled = is_stalled; }

  // A server context with the given certificate chain and key (PEM).
  static asio::ssl::context make_tls_context(const std::string& cert_pem, const std::string& key_pem) {
    asio::ssl::context ctx(asio::ssl::context::tls_server);
    ctx.use_certificate_chain(asio::buffer(cert_pem));
    ctx.use_private_key(asio::buffer(key_pem), asio::ssl::context::pem);
    return ctx;
  }

 private:
  struct state {
    state(asio::any_io_executor e, asio::ssl::context* t) : ex(e), tls(t), acceptor(e) {}
    asio::any_io_executor ex;
    asio::ssl::context* tls;
    asio::ip::tcp::acceptor acceptor;
    server_stats stats;
    bool is_reading_stalled = false;
    std::function<server_reply(const server_request&)> handler = [](const server_request&) { return server_reply{}; };
  };

  struct open_guard {
    explicit open_guard(server_stats& s) : stats(s) {
      ++stats.connections_accepted;
      ++stats.connections_open;
      if (stats.connections_open > stats.max_connections_open) stats.max_connections_open = stats.connections_open;
    }
    ~open_guard() { --stats.connections_open; }
    server_stats& stats;
  };

  static constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

  static asio::awaitable<void> accept_loop(std::shared_ptr<state> st) {
    for (;;) {
      auto [ec, socket] = co_await st->acceptor.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(st->ex, session(st, std::move(socket)), asio::detached);
    }
  }

  static asio::awaitable<void> session(std::shared_ptr<state> st, asio::ip::tcp::socket socket) {
    open_guard guard(st->stats);
    // As real servers do; without it Nagle holds the answer behind the unacknowledged TLS 1.3
    // session tickets until the client's delayed ACK (~40 ms per test).
    boost::system::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    if (st->tls == nullptr) {
      beast::tcp_stream stream(std::move(socket));
      co_await serve(st, stream);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *st->tls);
    stream.next_layer().expires_after(std::chrono::seconds(5));
    auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
    if (ec) co_return;
    stream.next_layer().expires_never();
    if (const char* name = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      st->stats.last_server_name = name;
    } else {
      st->stats.last_server_name.clear();
    }
    co_await serve(st, stream);
  }

  template <class Stream>
  static asio::awaitable<void> serve(std::shared_ptr<state> st, Stream& stream) {
    beast::flat_buffer buffer;
    auto& tcp = beast::get_lowest_layer(stream);
    for (;;) {
      if (st->is_reading_stalled) {
        asio::steady_timer forever(st->ex, std::chrono::hours(24));
        co_await forever.async_wait(use_tuple);
        co_return;
      }
      server_request req;
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, use_tuple);
      if (ec) co_return;
      ++st->stats.requests;
      st->stats.last_request = req;
      const server_reply reply = st->handler(req);
      if (reply.delay.count() > 0) {
        asio::steady_timer timer(st->ex);
        timer.expires_after(reply.delay);
        co_await timer.async_wait(use_tuple);
      }
      switch (reply.behaviour) {
        case server_behaviour::hang: {
          // Until the client gives up and closes.
          char byte = 0;
          co_await tcp.async_read_some(asio::buffer(&byte, 1), use_tuple);
          co_return;
        }
        case server_behaviour::close_after_read:
          tcp.close();
          co_return;
        case server_behaviour::reset_after_read: {
          boost::system::error_code ignored;
          tcp.socket().set_option(asio::socket_base::linger(true, 0), ignored);
          tcp.close();
          co_return;
        }
        default:
          break;
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(reply.status), req.version()};
      res.set(bhttp::field::server, "herald-test");
      for (const auto& [name, value] : reply.headers) res.set(name, value);
      res.body() = reply.body.empty() ? req.body() : reply.body;
      res.keep_alive(req.keep_alive() && !reply.has_connection_close);
      res.prepare_payload();
      auto [wec, written] = co_await bhttp::async_write(stream, res, use_tuple);
      if (wec || !res.keep_alive() || reply.behaviour == server_behaviour::answer_then_close) {
        tcp.close();
        co_return;
      }
    }
  }

  std::shared_ptr<state> state_;
  std::uint16_t port_ = 0;
};

}  // namespace herald::http_test
