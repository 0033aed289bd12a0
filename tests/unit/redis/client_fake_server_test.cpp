// herald::redis::client against a scripted fake Redis in the same process (loopback, no real
// server): the exact bytes of the handshake, write coalescing, and what the client does with a
// misbehaving server. The behaviour against a real redis-server is in tests/integration.
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/run_coroutine.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/reply_reader.hpp"

// GCC 12 reports a false -Wmismatched-new-delete for Asio's coroutine frames in coroutine lambdas.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using herald::redis::client;
using herald::redis::command;
using herald::redis::reply;
using herald::redis::reply_reader;
using clock_type = std::chrono::steady_clock;

void run(const std::function<asio::awaitable<void>(asio::any_io_executor)>& body) {
  herald::testing::run_coroutine(body, 20s);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<bool> wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = clock_type::now() + limit;
  while (!condition()) {
    if (clock_type::now() >= deadline) co_return false;
    co_await sleep_for(2ms);
  }
  co_return true;
}

herald::config::redis_config fake_config(std::uint16_t port) {
  herald::config::redis_config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.connect_timeout_ms = 1000;
  cfg.command_timeout_ms = 1000;
  cfg.reconnect_backoff_min_ms = 10;
  cfg.reconnect_backoff_max_ms = 50;
  return cfg;
}

// INFO server as a Redis of this version answers it (a bulk string).
std::string info_reply(std::string_view version) {
  const std::string body = "# Server\r\nredis_version:" + std::string(version) + "\r\nredis_mode:standalone\r\n";
  return "$" + std::to_string(body.size()) + "\r\n" + body + "\r\n";
}

// One accepted connection of the fake server. Requests are RESP arrays, so reply_reader parses
// them too.
struct peer {
  tcp::socket socket;
  reply_reader reader;
  std::string received;  // every byte read so far
  int reads = 0;

  explicit peer(tcp::socket s) : socket(std::move(s)) {}

  // Reads until `count` commands have arrived; an empty result means the client closed.
  asio::awaitable<std::vector<reply>> read_commands(std::size_t count) {
    std::vector<reply> commands;
    reply r;
    char buffer[65536];
    for (;;) {
      while (commands.size() < count && reader.next(r) == reply_reader::status::reply) commands.push_back(std::move(r));
      if (commands.size() == count) co_return commands;
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return std::vector<reply>{};
      ++reads;
      received.append(buffer, n);
      reader.feed(std::string_view(buffer, n));
    }
  }

  asio::awaitable<void> send(std::string_view bytes) {
    co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), asio::use_awaitable);
  }

  // The client's handshake without credentials: PING and INFO server, answered as a Redis of
  // this version would.
  asio::awaitable<void> answer_handshake(std::string_view version = "7.2.4") {
    const auto handshake = co_await read_commands(2);
    REQUIRE(handshake.size() == 2);
    REQUIRE(handshake[0].elements.at(0).str == "PING");
    REQUIRE(handshake[1].elements.at(0).str == "INFO");
    REQUIRE(handshake[1].elements.at(1).str == "server");
    co_await send("+PONG\r\n" + info_reply(version));
  }

  // Waits until the client closes the connection.
  asio::awaitable<void> wait_closed() {
    const auto more = co_await read_commands(std::size_t(-1));
    CHECK(more.empty());
  }
};

struct fake_server {
  tcp::acceptor acceptor;
  explicit fake_server(const asio::any_io_executor& ex)
      : acceptor(ex, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {}
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
  asio::awaitable<std::unique_ptr<peer>> accept() {
    co_return std::make_unique<peer>(co_await acceptor.async_accept(asio::use_awaitable));
  }
};

std::vector<command> one(command c) {
  std::vector<command> v;
  v.push_back(std::move(c));
  return v;
}

}  // namespace

TEST_CASE("the handshake sends AUTH with username and password, SELECT, PING and INFO server in one write") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    auto cfg = fake_config(server.port());
    cfg.username = "herald";
    cfg.password = "pass word";
    cfg.db = 5;
    client c(ex, cfg);
    c.start();
    auto p = co_await server.accept();
    co_await p->read_commands(4);
    CHECK(p->received == command{"AUTH", "herald", "pass word"}.bytes() + command{"SELECT", "5"}.bytes() +
                             command{"PING"}.bytes() + command{"INFO", "server"}.bytes());
    CHECK(p->reads == 1);
    CHECK_FALSE(c.is_connected());
    co_await p->send("+OK\r\n+OK\r\n+PONG\r\n" + info_reply("7.0.0"));
    const bool is_up = co_await wait_until([&] { return c.is_connected(); }, 2s);
    CHECK(is_up);
  });
}

TEST_CASE("with a password and no username the handshake sends AUTH <password>, and no SELECT for db 0") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    auto cfg = fake_config(server.port());
    cfg.password = "secret";
    client c(ex, cfg);
    c.start();
    auto p = co_await server.accept();
    co_await p->read_commands(3);
    CHECK(p->received == command{"AUTH", "secret"}.bytes() + command{"PING"}.bytes() + command{"INFO", "server"}.bytes());
  });
}

TEST_CASE("a refused AUTH keeps the client disconnected, and it tries again") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    auto cfg = fake_config(server.port());
    cfg.password = "wrong";
    client c(ex, cfg);
    int changes = 0;
    c.on_connection_change([&](bool) { ++changes; });
    c.start();
    auto first = co_await server.accept();
    co_await first->read_commands(3);
    co_await first->send("-WRONGPASS invalid username-password pair\r\n+PONG\r\n" + info_reply("7.2.4"));
    co_await first->wait_closed();
    auto second = co_await server.accept();  // the reconnect attempt
    CHECK_FALSE(c.is_connected());
    CHECK(changes == 0);
  });
}

TEST_CASE("exec calls made in the same turn of the event loop go out in one write, and each gets its own replies") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    client c(ex, fake_config(server.port()));
    c.start();
    auto p = co_await server.accept();
    co_await p->answer_handshake();
    const bool is_up = co_await wait_until([&] { return c.is_connected(); }, 2s);
    REQUIRE(is_up);

    constexpr int callers = 10;
    std::vector<std::optional<herald::result<std::vector<reply>>>> results(callers);
    for (int i = 0; i < callers; ++i) {
      asio::co_spawn(ex, [&c, &results, i]() -> asio::awaitable<void> {
        std::vector<command> commands;
        commands.push_back(command{"GET", "key" + std::to_string(i)});
        commands.push_back(command{"INCR", "n" + std::to_string(i)});
        results[static_cast<std::size_t>(i)].emplace(co_await c.exec(std::move(commands)));
      }, asio::detached);
    }
    const int reads_before = p->reads;
    const auto requests = co_await p->read_commands(2 * callers);
    REQUIRE(requests.size() == 2 * callers);
    CHECK(p->reads == reads_before + 1);  // one write carried all twenty commands
    std::string answers;
    for (int i = 0; i < callers; ++i) {
      CHECK(requests[2 * i].elements.at(1).str == "key" + std::to_string(i));
      answers += "$6\r\nvalue" + std::to_string(i) + "\r\n:" + std::to_string(100 + i) + "\r\n";
    }
    // Replies trickle in one byte at a time: matching must not depend on read boundaries.
    for (char ch : answers) co_await p->send(std::string_view(&ch, 1));

    const bool are_all_done = co_await wait_until([&] {
      for (const auto& r : results) if (!r) return false;
      return true;
    }, 2s);
    REQUIRE(are_all_done);
    for (int i = 0; i < callers; ++i) {
      const auto& r = *results[static_cast<std::size_t>(i)];
      REQUIRE(r.has_value());
      REQUIRE(r->size() == 2);
      CHECK((*r)[0].str == "value" + std::to_string(i));
      CHECK((*r)[1].integer == 100 + i);
    }
  });
}

TEST_CASE("garbage from the server fails the pending request, closes the connection, and the client reconnects") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    client c(ex, fake_config(server.port()));
    std::vector<bool> changes;
    c.on_connection_change([&](bool is_up) { changes.push_back(is_up); });
    c.start();
    auto first = co_await server.accept();
    co_await first->answer_handshake();
    const bool was_up = co_await wait_until([&] { return c.is_connected(); }, 2s);
    REQUIRE(was_up);

    std::optional<herald::result<std::vector<reply>>> result;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      auto commands = one(command{"GET", "k"});
      result.emplace(co_await c.exec(std::move(commands)));
    },
                   asio::detached);
    co_await first->read_commands(1);
    co_await first->send("!not resp\r\n");
    co_await first->wait_closed();
    REQUIRE(result.has_value());
    REQUIRE_FALSE(result->has_value());
    CHECK(result->message().find("protocol error") != std::string::npos);

    auto second = co_await server.accept();
    co_await second->answer_handshake();
    const bool is_up = co_await wait_until([&] { return c.is_connected(); }, 2s);
    CHECK(is_up);
    CHECK(changes == std::vector<bool>{true, false, true});
  });
}

TEST_CASE("a reply that no request is waiting for closes the connection") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    client c(ex, fake_config(server.port()));
    c.start();
    auto first = co_await server.accept();
    co_await first->answer_handshake();
    co_await first->send("+OK\r\n");
    co_await first->wait_closed();
    auto second = co_await server.accept();
    CHECK(second != nullptr);
  });
}

TEST_CASE("a server that accepts but never answers the handshake times out after connect_timeout_ms") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    auto cfg = fake_config(server.port());
    cfg.connect_timeout_ms = 150;
    client c(ex, cfg);
    c.start();
    auto silent = co_await server.accept();
    const auto t0 = clock_type::now();
    co_await silent->wait_closed();
    const auto took = clock_type::now() - t0;
    CHECK(took >= 100ms);
    CHECK(took < 1s);
    CHECK_FALSE(c.is_connected());
    auto retry = co_await server.accept();
    CHECK(retry != nullptr);
  });
}

TEST_CASE("a request that gets no answer within command_timeout_ms fails, and so does the one queued behind it") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    auto cfg = fake_config(server.port());
    cfg.command_timeout_ms = 100;
    client c(ex, cfg);
    c.start();
    auto p = co_await server.accept();
    co_await p->answer_handshake();
    const bool is_up = co_await wait_until([&] { return c.is_connected(); }, 2s);
    REQUIRE(is_up);

    std::optional<herald::result<std::vector<reply>>> first;
    std::optional<herald::result<std::vector<reply>>> second;
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      auto commands = one(command{"GET", "a"});
      first.emplace(co_await c.exec(std::move(commands)));
    },
                   asio::detached);
    co_await sleep_for(50ms);
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      auto commands = one(command{"GET", "b"});
      second.emplace(co_await c.exec(std::move(commands)));
    },
                   asio::detached);
    co_await p->read_commands(2);
    co_await p->wait_closed();  // the client gives up on the connection
    REQUIRE(first.has_value());
    REQUIRE(second.has_value());
    REQUIRE_FALSE(first->has_value());
    CHECK(first->message() == "redis 127.0.0.1:" + std::to_string(cfg.port) + ": command timed out after 100 ms");
    REQUIRE_FALSE(second->has_value());
    CHECK(second->message().find("connection closed before the reply (command timed out") != std::string::npos);
  });
}

TEST_CASE("destroying the client fails its pending requests") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    auto c = std::make_unique<client>(ex, fake_config(server.port()));
    bool did_callback_fire = false;
    c->on_connection_change([&](bool is_up) { did_callback_fire = !is_up; });
    c->start();
    auto p = co_await server.accept();
    co_await p->answer_handshake();
    const bool is_up = co_await wait_until([&] { return c->is_connected(); }, 2s);
    REQUIRE(is_up);

    std::optional<herald::result<std::vector<reply>>> result;
    asio::co_spawn(ex, [&, &cl = *c]() -> asio::awaitable<void> {
      auto commands = one(command{"GET", "k"});
      result.emplace(co_await cl.exec(std::move(commands)));
    }, asio::detached);
    co_await p->read_commands(1);
    c.reset();
    const bool is_done = co_await wait_until([&] { return result.has_value(); }, 1s);
    REQUIRE(is_done);
    REQUIRE_FALSE(result->has_value());
    CHECK(result->message().find("client stopped") != std::string::npos);
    CHECK_FALSE(did_callback_fire);
    co_await p->wait_closed();
  });
}

TEST_CASE("a Redis 6.2 server is refused: the client stays disconnected, says why once, and tries again") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    client c(ex, fake_config(server.port()));
    std::vector<bool> changes;
    std::vector<std::string> refusals;
    c.on_connection_change([&](bool is_up) { changes.push_back(is_up); });
    c.on_server_refused([&](const std::string& why) { refusals.push_back(why); });
    c.start();
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto old = co_await server.accept();
      co_await old->answer_handshake("6.2.14");
      co_await old->wait_closed();  // the client hangs up on it
      CHECK_FALSE(c.is_connected());
    }
    REQUIRE(refusals.size() == 1);  // the second attempt's same answer is not told again
    CHECK(refusals[0] == "redis 127.0.0.1:" + std::to_string(server.port()) +
                             ": Redis 6.2.14 is not supported: Herald needs Redis 7.0.0 or later (the ledger's "
                             "scripts use EXPIRE ... NX)");
    CHECK(changes.empty());

    // Replaced by a supported server (a failover back): used.
    auto upgraded = co_await server.accept();
    co_await upgraded->answer_handshake("7.2.4");
    const bool is_up = co_await wait_until([&] { return c.is_connected(); }, 2s);
    CHECK(is_up);
    CHECK(changes == std::vector<bool>{true});
  });
}

TEST_CASE("a server that fails over to an older version is refused on the reconnect") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    client c(ex, fake_config(server.port()));
    std::vector<bool> changes;
    std::vector<std::string> refusals;
    c.on_connection_change([&](bool is_up) { changes.push_back(is_up); });
    c.on_server_refused([&](const std::string& why) { refusals.push_back(why); });
    c.start();
    {
      auto first = co_await server.accept();
      co_await first->answer_handshake("7.0.0");
      const bool was_up = co_await wait_until([&] { return c.is_connected(); }, 2s);
      REQUIRE(was_up);
    }  // the server goes away
    auto replica = co_await server.accept();
    co_await replica->answer_handshake("6.0.16");
    co_await replica->wait_closed();
    CHECK_FALSE(c.is_connected());
    CHECK(changes == std::vector<bool>{true, false});
    REQUIRE(refusals.size() == 1);
    CHECK(refusals[0].find("Redis 6.0.16 is not supported") != std::string::npos);
  });
}

TEST_CASE("INFO refused (an ACL without +info) or without a version refuses the server too") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    fake_server server(ex);
    client c(ex, fake_config(server.port()));
    std::vector<std::string> refusals;
    c.on_server_refused([&](const std::string& why) { refusals.push_back(why); });
    c.start();
    auto p = co_await server.accept();
    co_await p->read_commands(2);
    co_await p->send("+PONG\r\n-NOPERM this user has no permissions to run the 'info' command\r\n");
    co_await p->wait_closed();
    auto q = co_await server.accept();
    co_await q->read_commands(2);
    co_await q->send("+PONG\r\n$20\r\n# Server\r\nos:Linux\r\n\r\n");
    co_await q->wait_closed();
    CHECK_FALSE(c.is_connected());
    REQUIRE(refusals.size() == 2);
    CHECK(refusals[0].find("INFO server refused: NOPERM") != std::string::npos);
    CHECK(refusals[1].find("cannot tell the server's version (the INFO reply has no redis_version field)") !=
          std::string::npos);
  });
}
