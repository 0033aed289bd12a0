// The Redis version check (redis/server_version.hpp) against the real server, which must pass it,
// and `herald run` against a fake Redis that says it is 6.2: it must not run, and must not say
// ready after a reconnect finds one.
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/run_coroutine.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/reply_reader.hpp"
#include "herald/redis/server_version.hpp"
#include "support/e2e_harness.hpp"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using namespace herald::test;

// A Redis that answers the handshake (PING, INFO server) claiming `version`, then holds the
// connection without answering anything else, on a thread of its own. drop() closes the
// connections it holds; the version can be changed for the next ones.
class fake_redis {
 public:
  explicit fake_redis(std::string version) : version_(std::move(version)), acceptor_(io_, {asio::ip::address_v4::loopback(), 0}) {
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fake_redis() {
    asio::post(io_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      close_all();
      io_.stop();
    });
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int handshakes() const { return handshakes_; }
  void set_version(std::string version) {
    asio::post(io_, [this, version = std::move(version)] { version_ = version; });
  }
  void drop() { asio::post(io_, [this] { close_all(); }); }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      auto s = std::make_shared<tcp::socket>(std::move(socket));
      open_.push_back(s);
      asio::co_spawn(io_, serve(s), asio::detached);
    }
  }
  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> s) {
    herald::redis::reply_reader reader;
    herald::redis::reply r;
    int commands = 0;
    char buffer[4096];
    while (commands < 2) {
      auto [ec, n] = co_await s->async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      reader.feed(std::string_view(buffer, n));
      while (reader.next(r) == herald::redis::reply_reader::status::reply) ++commands;
    }
    const std::string info = "# Server\r\nredis_version:" + version_ + "\r\nredis_mode:standalone\r\n";
    const std::string answer = "+PONG\r\n$" + std::to_string(info.size()) + "\r\n" + info + "\r\n";
    co_await asio::async_write(*s, asio::buffer(answer), asio::as_tuple(asio::use_awaitable));
    ++handshakes_;
    for (;;) {  // held open, unanswered, until dropped
      auto [ec, n] = co_await s->async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
    }
  }
  void close_all() {
    for (auto& s : open_) {
      boost::system::error_code ignored;
      s->close(ignored);
    }
    open_.clear();
  }

  asio::io_context io_;
  std::string version_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<tcp::socket>> open_;
  std::atomic<int> handshakes_{0};
  std::thread thread_;
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(50ms);
  }
  return true;
}

// A config whose Redis is at `redis_port`, with its own topics (they must exist: Herald checks
// its output topics at start-up) and an admin endpoint.
std::string config_for(int redis_port, int admin_port) {
  const std::string events = unique_name("ver-events"), results = unique_name("ver-outcomes"),
                    dlq = unique_name("ver-dlq");
  create_topic(events, 1);
  create_topic(results, 1);
  create_topic(dlq, 1);
  const std::string accounts = R"({"shop-a": {"gateway": "fw199_taobao", "endpoint": "https://127.0.0.1:1/send",
      "app_id": "app-1", "app_secret": "s", "seller_nick": "n"}})";
  return write_config(events, results, dlq, unique_name("ver-group"), unique_name("ver") + ":", accounts,
                      R"("admin": {"listen": "127.0.0.1:)" + std::to_string(admin_port) + R"("},)", redis_port);
}

}  // namespace

TEST_CASE("the test Redis is a version Herald supports, and the client connects to it") {
  herald::testing::run_coroutine([](asio::any_io_executor ex) -> asio::awaitable<void> {
    herald::config::redis_config cfg;
    cfg.host = redis_host();
    cfg.port = static_cast<std::uint16_t>(redis_port());
    herald::redis::client c(ex, cfg);
    std::vector<std::string> refusals;
    c.on_server_refused([&](const std::string& why) { refusals.push_back(why); });
    c.start();
    asio::steady_timer timer(ex);
    for (int i = 0; i < 500 && !c.is_connected() && refusals.empty(); ++i) {
      timer.expires_after(10ms);
      co_await timer.async_wait(asio::use_awaitable);
    }
    CHECK(refusals.empty());
    REQUIRE_MESSAGE(c.is_connected(), "Redis is not reachable (deploy/local/services start)");

    std::vector<herald::redis::command> commands;
    commands.push_back(herald::redis::command{"INFO", "server"});
    auto replies = co_await c.exec(std::move(commands));
    REQUIRE(replies.has_value());
    const auto& info = replies->front().str;
    CHECK(herald::redis::check_server_version(info));
    const auto v = herald::redis::parse_redis_version(info);
    REQUIRE(v.has_value());
    CHECK(v.value() >= herald::redis::min_server_version);
  }, 30s);
}

TEST_CASE("herald run refuses a Redis 6.2 at start-up: it exits non-zero with an error naming both versions") {
  fake_redis redis("6.2.14");
  auto herald = start_herald(config_for(redis.port(), free_port()));
  const auto code = herald->wait(30s);
  INFO("herald log tail:\n", herald->log_tail());
  REQUIRE(code.has_value());
  CHECK(*code == 3);
  const std::string log = herald->log_tail(20000);
  CHECK(log.find(R"("level":"error","msg":"redis server not supported")") != std::string::npos);
  CHECK(log.find("Redis 6.2.14 is not supported: Herald needs Redis 7.0.0 or later") != std::string::npos);
  CHECK(redis.handshakes() >= 1);
}

TEST_CASE("a reconnect that finds an older Redis leaves Herald running but not ready, and says why") {
  fake_redis redis("7.2.4");
  const int admin_port = free_port();
  auto herald = start_herald(config_for(redis.port(), admin_port));
  const std::string readyz = "http://127.0.0.1:" + std::to_string(admin_port) + "/readyz";
  INFO("herald log tail:\n", herald->log_tail());
  CHECK(eventually([&] { return http_get(readyz).first == 200; }, 30s));

  redis.set_version("6.2.14");  // a failover to an older server
  redis.drop();
  CHECK(eventually([&] {
    const auto [status, body] = http_get(readyz);
    return status == 503 && body.find("redis not supported: ") != std::string::npos &&
           body.find("Redis 6.2.14 is not supported") != std::string::npos;
  }, 30s));
  CHECK(herald->is_running());

  redis.set_version("7.0.0");  // and back to a supported one
  redis.drop();
  CHECK(eventually([&] { return http_get(readyz).first == 200; }, 30s));
  herald->signal(SIGTERM);
  CHECK(herald->wait(30s).has_value());
}
