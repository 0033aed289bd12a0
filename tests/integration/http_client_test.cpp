// herald::http::client_pool against an in-process HTTPS server (support/test_http_server.hpp)
// with a CA made at test time (support/test_certificates.hpp). No external services needed.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <vector>

#include "herald/http/client_pool.hpp"
#include "support/test_certificates.hpp"
#include "support/test_http_server.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using herald::config::endpoint;
using herald::config::http_config;
using herald::http::client_pool;
using herald::http::exchange;
using herald::http::failure;
using herald::http::request;
using herald::http_test::server_behaviour;
using herald::http_test::server_reply;
using herald::http_test::test_http_server;

namespace {

// One CA and server certificates for the whole run (key generation is the slow part).
struct test_pki {
  herald::http_test::test_ca ca{"herald test CA"};
  herald::http_test::test_ca other_ca{"herald other CA"};
  herald::http_test::pem_pair server = ca.issue_server("herald test server", "DNS:localhost,IP:127.0.0.1");
  herald::http_test::pem_pair wrong_host = ca.issue_server("elsewhere", "DNS:elsewhere.example");
  herald::http_test::temp_file ca_file{ca.ca_pem()};
  herald::http_test::temp_file other_ca_file{other_ca.ca_pem()};
};
test_pki& pki() {
  static test_pki instance;
  return instance;
}

asio::ssl::context server_tls() {
  return test_http_server::make_tls_context(pki().server.cert_pem, pki().server.key_pem);
}

http_config client_config() {
  http_config cfg;
  cfg.ca_file = pki().ca_file.path();
  cfg.connect_timeout_ms = 2000;
  cfg.request_timeout_ms = 2000;
  cfg.max_connections_per_endpoint = 2;
  return cfg;
}

endpoint make_endpoint(std::uint16_t port, const char* host = "127.0.0.1", const char* scheme = "https") {
  endpoint ep;
  ep.scheme = scheme;
  ep.host = host;
  ep.port = port;
  ep.target = "/send";
  ep.url = std::string(scheme) + "://" + host + ":" + std::to_string(port) + "/send";
  return ep;
}

request make_request(std::string body = "hello") {
  request req;
  req.target = "/send";
  req.content_type = "text/plain";
  req.body = std::move(body);
  return req;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(asio::use_awaitable);
}

// Runs a test body on a fresh io_context; a failed REQUIRE inside it fails the test case.
template <class Body>
void run(Body body) {
  asio::io_context ioc;
  std::exception_ptr error;
  bool is_done = false;
  asio::co_spawn(ioc, body(ioc.get_executor()), [&](std::exception_ptr e) {
    error = e;
    is_done = true;
    ioc.stop();  // leave lingering server sessions behind
  });
  ioc.run();
  REQUIRE(is_done);
  if (error) std::rethrow_exception(error);
}

// A port on which nothing listens.
std::uint16_t closed_port(asio::any_io_executor ex) {
  asio::ip::tcp::acceptor a(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

}  // namespace

TEST_CASE("an https request verified against the test CA gets the server's answer") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    client_pool pool(ex, client_config());
    const auto ep = make_endpoint(server.port());
    request req = make_request("a=1&b=2");
    req.headers = {{"X-Trace", "t1"}};
    const exchange ex1 = co_await pool.send(ep, req);
    CHECK(ex1.fail == failure::none);
    CHECK(ex1.error == "");
    CHECK(ex1.resp.status == 200);
    CHECK(ex1.resp.body == "a=1&b=2");
    const auto& seen = server.stats().last_request;
    CHECK(seen.method_string() == "POST");
    CHECK(seen.target() == "/send");
    CHECK(seen[boost::beast::http::field::host] == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(seen[boost::beast::http::field::user_agent] == "herald/0.1");
    CHECK(seen[boost::beast::http::field::content_type] == "text/plain");
    CHECK(seen[boost::beast::http::field::content_length] == "7");
    CHECK(seen["X-Trace"] == "t1");
    CHECK(seen.keep_alive());
    CHECK(server.stats().last_server_name == "");  // no SNI for an IP address
  });
}

TEST_CASE("request and response bodies larger than a TLS record arrive whole") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    client_pool pool(ex, client_config());
    const auto ep = make_endpoint(server.port());
    std::string body(300 * 1024, 'x');
    for (std::size_t i = 0; i < body.size(); i += 997) body[i] = static_cast<char>('a' + i % 26);
    for (int i = 0; i < 2; ++i) {  // fresh, then reused connection
      const exchange r = co_await pool.send(ep, make_request(body));
      CHECK(r.fail == failure::none);
      CHECK(r.resp.body.size() == body.size());
      CHECK(r.resp.body == body);
      CHECK(server.stats().last_request.body() == body);
    }
  });
}

TEST_CASE("a host name is resolved, sent as SNI and verified against the certificate") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    client_pool pool(ex, client_config());
    const exchange r = co_await pool.send(make_endpoint(server.port(), "localhost"), make_request());
    CHECK(r.fail == failure::none);
    CHECK(r.error == "");
    CHECK(r.resp.status == 200);
    CHECK(server.stats().last_server_name == "localhost");
  });
}

TEST_CASE("a certificate from another CA fails verification and the request is not sent") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    auto cfg = client_config();
    cfg.ca_file = pki().other_ca_file.path();
    client_pool pool(ex, cfg);
    const exchange r = co_await pool.send(make_endpoint(server.port()), make_request());
    CHECK(r.fail == failure::not_sent);
    CHECK(r.error.starts_with("handshake 127.0.0.1:" + std::to_string(server.port()) + ": "));
    CHECK(r.error.find("certificate verify failed") != std::string::npos);
    CHECK(server.stats().requests == 0);
    CHECK(pool.open_connections() == 0);
  });
}

TEST_CASE("a certificate for another host name fails verification and the request is not sent") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = test_http_server::make_tls_context(pki().wrong_host.cert_pem, pki().wrong_host.key_pem);
    test_http_server server(ex, &tls);
    client_pool pool(ex, client_config());
    const exchange r = co_await pool.send(make_endpoint(server.port()), make_request());
    CHECK(r.fail == failure::not_sent);
    CHECK(r.error.find("handshake") == 0);
    CHECK(r.error.find("hostname mismatch") != std::string::npos);
    CHECK(server.stats().requests == 0);
  });
}

TEST_CASE("with verify_peer off an unverifiable certificate is accepted") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = test_http_server::make_tls_context(pki().wrong_host.cert_pem, pki().wrong_host.key_pem);
    test_http_server server(ex, &tls);
    auto cfg = client_config();
    cfg.ca_file.clear();
    cfg.verify_peer = false;
    client_pool pool(ex, cfg);
    const exchange r = co_await pool.send(make_endpoint(server.port()), make_request());
    CHECK(r.fail == failure::none);
    CHECK(r.resp.status == 200);
  });
}

TEST_CASE("an unreadable ca_file is a start-up error naming the file") {
  asio::io_context ioc;
  auto cfg = client_config();
  cfg.ca_file = "no/such/ca.pem";
  CHECK_THROWS_WITH_AS(client_pool(ioc.get_executor(), cfg), doctest::Contains("no/such/ca.pem"), std::runtime_error);
}

TEST_CASE("sequential requests reuse one keep-alive connection") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    client_pool pool(ex, client_config());
    const auto ep = make_endpoint(server.port());
    for (int i = 0; i < 5; ++i) {
      const exchange r = co_await pool.send(ep, make_request("n" + std::to_string(i)));
      CHECK(r.fail == failure::none);
      CHECK(r.resp.body == "n" + std::to_string(i));
    }
    CHECK(server.stats().requests == 5);
    CHECK(server.stats().connections_accepted == 1);
    CHECK(pool.open_connections() == 1);
  });
}

TEST_CASE("concurrent sends never open more than max_connections_per_endpoint and all succeed") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) { return server_reply{.delay = 30ms}; });
    client_pool pool(ex, client_config());  // at most 2
    const auto ep = make_endpoint(server.port());
    std::vector<exchange> results(10);
    int pending = 10;
    for (int i = 0; i < 10; ++i) {
      asio::co_spawn(
          ex,
          [&, i]() -> asio::awaitable<void> {
            results[i] = co_await pool.send(ep, make_request("c" + std::to_string(i)));
            --pending;
          },
          asio::detached);
    }
    co_await sleep_for(5ms);
    CHECK(pool.open_connections() == 2);
    // The connections metric's view (herald_http_connections): both busy, none idle.
    auto usage = pool.usage();
    REQUIRE(usage.size() == 1);
    CHECK(usage[0].endpoint == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(usage[0].open == 2);
    CHECK(usage[0].idle == 0);
    while (pending > 0) co_await sleep_for(5ms);
    usage = pool.usage();
    CHECK(usage[0].open == 2);
    CHECK(usage[0].idle == 2);  // kept alive
    for (int i = 0; i < 10; ++i) {
      CAPTURE(i);
      CHECK(results[i].fail == failure::none);
      CHECK(results[i].resp.body == "c" + std::to_string(i));
    }
    CHECK(server.stats().requests == 10);
    CHECK(server.stats().connections_accepted <= 2);
    CHECK(server.stats().max_connections_open <= 2);
  });
}

TEST_CASE("a send that cannot get a connection within connect_timeout is not sent: pool exhausted") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) { return server_reply{.delay = 400ms}; });
    auto cfg = client_config();
    cfg.max_connections_per_endpoint = 1;
    cfg.connect_timeout_ms = 100;
    client_pool pool(ex, cfg);
    const auto ep = make_endpoint(server.port());
    exchange first;
    bool is_first_done = false;
    asio::co_spawn(
        ex,
        [&]() -> asio::awaitable<void> {
          first = co_await pool.send(ep, make_request());
          is_first_done = true;
        },
        asio::detached);
    co_await sleep_for(20ms);
    const exchange second = co_await pool.send(ep, make_request());
    CHECK(second.fail == failure::not_sent);
    CHECK(second.error.starts_with("pool exhausted"));
    while (!is_first_done) co_await sleep_for(5ms);
    CHECK(first.fail == failure::none);
    CHECK(server.stats().requests == 1);
  });
}

TEST_CASE("a refused connection is not sent and says connect and where") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    client_pool pool(ex, client_config());
    const auto port = closed_port(ex);
    const exchange r = co_await pool.send(make_endpoint(port), make_request());
    CHECK(r.fail == failure::not_sent);
    CHECK(r.error == "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
    CHECK(pool.open_connections() == 0);
  });
}

TEST_CASE("a server that accepts TCP but never completes the TLS handshake: not sent after connect_timeout") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    // Listening but never accepting: the kernel completes TCP, nobody answers the ClientHello.
    asio::ip::tcp::acceptor silent(ex, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    auto cfg = client_config();
    cfg.connect_timeout_ms = 200;
    client_pool pool(ex, cfg);
    const auto port = silent.local_endpoint().port();
    const exchange r = co_await pool.send(make_endpoint(port), make_request());
    CHECK(r.fail == failure::not_sent);
    CHECK(r.error == "handshake 127.0.0.1:" + std::to_string(port) + ": timeout after 200 ms");
    CHECK_FALSE(r.is_timeout);
  });
}

TEST_CASE("a server that reads the request and never answers: ambiguous after request_timeout") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) { return server_reply{.behaviour = server_behaviour::hang}; });
    auto cfg = client_config();
    cfg.request_timeout_ms = 300;
    client_pool pool(ex, cfg);
    const auto started = std::chrono::steady_clock::now();
    const exchange r = co_await pool.send(make_endpoint(server.port()), make_request());
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(r.fail == failure::ambiguous);
    CHECK(r.error == "read: timeout after 300 ms");
    CHECK(r.is_timeout);  // the call-duration metric's `timeout`
    CHECK(took >= 300ms);
    CHECK(took < 2s);
    CHECK(server.stats().requests == 1);
    CHECK(pool.open_connections() == 0);  // a connection in an unknown state is never kept
  });
}

TEST_CASE("a reused connection closed after the request was read: ambiguous and not retried") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    int n = 0;
    server.on_request([&n](const auto&) {
      return server_reply{.behaviour = ++n == 1 ? server_behaviour::answer : server_behaviour::close_after_read};
    });
    client_pool pool(ex, client_config());
    const auto ep = make_endpoint(server.port());
    CHECK((co_await pool.send(ep, make_request())).fail == failure::none);
    const exchange r = co_await pool.send(ep, make_request());
    CHECK(r.fail == failure::ambiguous);
    CHECK(r.error.starts_with("read: "));
    CHECK(server.stats().requests == 2);  // the server may have acted on it: no second try
    CHECK(server.stats().connections_accepted == 1);
    CHECK(pool.open_connections() == 0);
  });
}

TEST_CASE("a connection reset after the request was read: ambiguous") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) { return server_reply{.behaviour = server_behaviour::reset_after_read}; });
    client_pool pool(ex, client_config());
    const exchange r = co_await pool.send(make_endpoint(server.port()), make_request());
    CHECK(r.fail == failure::ambiguous);
    CHECK(r.error.starts_with("read: "));
    CHECK_FALSE(r.is_timeout);  // lost, not timed out
    CHECK(server.stats().requests == 1);
  });
}

TEST_CASE("a keep-alive connection the server closed while idle is not used: the next send succeeds") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) { return server_reply{.behaviour = server_behaviour::answer_then_close}; });
    client_pool pool(ex, client_config());
    const auto ep = make_endpoint(server.port());
    CHECK((co_await pool.send(ep, make_request("one"))).fail == failure::none);
    co_await sleep_for(50ms);  // the FIN arrives while the connection is idle
    const exchange r = co_await pool.send(ep, make_request("two"));
    CHECK(r.fail == failure::none);
    CHECK(r.resp.body == "two");
    CHECK(server.stats().requests == 2);
    CHECK(server.stats().connections_accepted == 2);
  });
}

TEST_CASE("a request the server never reads fully is not sent; on a reused connection it is retried once") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    auto cfg = client_config();
    cfg.request_timeout_ms = 300;
    client_pool pool(ex, cfg);
    const auto ep = make_endpoint(server.port());
    // Stall from the first answer on, before the server waits for the next request.
    server.on_request([&server](const auto&) {
      server.stall_reading(true);
      return server_reply{};
    });
    CHECK((co_await pool.send(ep, make_request())).fail == failure::none);
    // Far more than the loopback socket buffers hold, so that the write cannot complete.
    const exchange r = co_await pool.send(ep, make_request(std::string(32 * 1024 * 1024, 'x')));
    CHECK(r.fail == failure::not_sent);
    CHECK(r.error == "write: timeout after 300 ms");
    CHECK_FALSE(r.is_timeout);  // never written: not_sent, whatever stopped it
    // The write failed on the reused connection, then once more on a fresh one: no third try.
    CHECK(server.stats().connections_accepted == 2);
    CHECK(server.stats().requests == 1);
    CHECK(pool.open_connections() == 0);
  });
}

TEST_CASE("Connection: close from the server is honoured") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) { return server_reply{.has_connection_close = true}; });
    client_pool pool(ex, client_config());
    const auto ep = make_endpoint(server.port());
    CHECK((co_await pool.send(ep, make_request())).fail == failure::none);
    CHECK(pool.open_connections() == 0);
    CHECK((co_await pool.send(ep, make_request())).fail == failure::none);
    CHECK(server.stats().connections_accepted == 2);
  });
}

TEST_CASE("a 503 is an answer, not a failure, and its Retry-After is passed on") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) {
      return server_reply{.status = 503, .body = "busy", .headers = {{"Retry-After", "120"}}};
    });
    client_pool pool(ex, client_config());
    const exchange r = co_await pool.send(make_endpoint(server.port()), make_request());
    CHECK(r.fail == failure::none);
    CHECK(r.error == "");
    CHECK(r.resp.status == 503);
    CHECK(r.resp.retry_after == "120");
    CHECK(r.resp.body == "busy");
    CHECK(pool.open_connections() == 1);  // the connection itself is fine
  });
}

TEST_CASE("idle connections are closed after the idle timeout, and by close_all") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    client_pool pool(ex, client_config(), 100ms);
    const auto ep = make_endpoint(server.port());
    CHECK((co_await pool.send(ep, make_request())).fail == failure::none);
    CHECK(pool.open_connections() == 1);
    co_await sleep_for(250ms);
    CHECK(pool.open_connections() == 0);
    CHECK(server.stats().connections_open == 0);

    CHECK((co_await pool.send(ep, make_request())).fail == failure::none);
    CHECK(pool.open_connections() == 1);
    pool.close_all();
    CHECK(pool.open_connections() == 0);
    CHECK((co_await pool.send(ep, make_request())).fail == failure::none);
    CHECK(server.stats().connections_accepted == 3);
  });
}

TEST_CASE("plain http works when the endpoint's scheme is http") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    test_http_server server(ex, nullptr);
    client_pool pool(ex, client_config());
    const auto ep = make_endpoint(server.port(), "127.0.0.1", "http");
    for (int i = 0; i < 3; ++i) {
      const exchange r = co_await pool.send(ep, make_request("plain"));
      CHECK(r.fail == failure::none);
      CHECK(r.resp.body == "plain");
    }
    CHECK(server.stats().connections_accepted == 1);
  });
}

TEST_CASE("an invalid request is refused before anything is sent") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    client_pool pool(ex, client_config());
    request req = make_request();
    req.headers = {{"X-Sign", "abc\r\nX-Injected: 1"}};
    const exchange r = co_await pool.send(make_endpoint(server.port()), req);
    CHECK(r.fail == failure::not_sent);
    CHECK(r.error.starts_with("request: "));
    CHECK(server.stats().connections_accepted == 0);
    CHECK(pool.open_connections() == 0);
  });
}

TEST_CASE("destroying the pool while a send is in flight lets the send finish") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto tls = server_tls();
    test_http_server server(ex, &tls);
    server.on_request([](const auto&) { return server_reply{.delay = 50ms}; });
    auto pool = std::make_unique<client_pool>(ex, client_config());
    const auto ep = make_endpoint(server.port());
    exchange result;
    bool is_done = false;
    asio::co_spawn(
        ex,
        [&, send = pool->send(ep, make_request("late"))]() mutable -> asio::awaitable<void> {
          result = co_await std::move(send);
          is_done = true;
        },
        asio::detached);
    co_await sleep_for(10ms);
    pool.reset();
    while (!is_done) co_await sleep_for(5ms);
    CHECK(result.fail == failure::none);
    CHECK(result.resp.body == "late");
  });
}
