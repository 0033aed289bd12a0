// herald::redis::client against a real redis-server: the shared one named by HERALD_REDIS_HOST /
// HERALD_REDIS_PORT (default 127.0.0.1:16379, started by deploy/local/services), and, for the
// tests that kill the server or need a password, a private redis-server started here on a free
// port. Redis not being reachable is a test failure, never a skip.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/run_coroutine.hpp"
#include "herald/redis/client.hpp"
#include "herald/util/crypto.hpp"

extern char** environ;

// GCC 12 reports a false -Wmismatched-new-delete for Asio's coroutine frames (awaitable_frame's
// own operator new/delete) in coroutine lambdas.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using herald::config::redis_config;
using herald::redis::client;
using herald::redis::command;
using herald::redis::reply;
using herald::redis::script;
using clock_type = std::chrono::steady_clock;
using namespace std::string_literals;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

redis_config test_config(std::string host, std::uint16_t port) {
  redis_config cfg;
  cfg.host = std::move(host);
  cfg.port = port;
  cfg.connect_timeout_ms = 2000;
  cfg.command_timeout_ms = 5000;
  cfg.reconnect_backoff_min_ms = 20;
  cfg.reconnect_backoff_max_ms = 200;
  return cfg;
}

redis_config shared_server_config() {
  return test_config(env_or("HERALD_REDIS_HOST", "127.0.0.1"),
                     static_cast<std::uint16_t>(std::stoi(env_or("HERALD_REDIS_PORT", "16379"))));
}

// Unique per run, and every key the tests write expires, so reruns never see leftovers.
std::string unique_key(std::string_view name) {
  return "herald-test:redis-client:" + std::string(name) + ":" + herald::crypto::random_hex(8);
}

void run(const std::function<asio::awaitable<void>(asio::any_io_executor)>& body, std::chrono::seconds limit = 60s) {
  herald::testing::run_coroutine(body, limit);
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<bool> wait_until(const std::function<bool()>& condition, std::chrono::milliseconds limit) {
  const auto deadline = clock_type::now() + limit;
  while (!condition()) {
    if (clock_type::now() >= deadline) co_return false;
    co_await sleep_for(5ms);
  }
  co_return true;
}

asio::awaitable<void> require_connected(client& c, const redis_config& cfg) {
  const bool is_up = co_await wait_until([&] { return c.is_connected(); }, 5s);
  REQUIRE_MESSAGE(is_up, "Redis is not reachable at " << cfg.host << ":" << cfg.port
                                                      << " (start it with deploy/local/services start, or set "
                                                         "HERALD_REDIS_HOST / HERALD_REDIS_PORT)");
}

asio::awaitable<std::vector<reply>> must_exec(client& c, std::vector<command> commands) {
  auto r = co_await c.exec(std::move(commands));
  REQUIRE_MESSAGE(r.has_value(), (r.has_value() ? std::string() : r.message()));
  co_return std::move(r.value());
}

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return acceptor.local_endpoint().port();
}

// A private redis-server child process (redis-server from PATH), for the tests that kill it.
class redis_process {
 public:
  explicit redis_process(std::vector<std::string> extra_args = {})
      : port_(free_port()), extra_args_(std::move(extra_args)) {}
  ~redis_process() { kill(); }
  redis_process(const redis_process&) = delete;
  redis_process& operator=(const redis_process&) = delete;

  std::uint16_t port() const { return port_; }

  void start() {
    std::vector<std::string> args{"redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port_),
                                  "--save", "", "--appendonly", "no"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(rc == 0, "cannot start redis-server (is it on PATH?): " << std::strerror(rc));
    wait_ready();
  }

  // Like a crash: SIGKILL, no goodbye to the clients.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  void wait_ready() {
    asio::io_context io;
    const auto deadline = clock_type::now() + 10s;
    for (;;) {
      REQUIRE_MESSAGE(::waitpid(pid_, nullptr, WNOHANG) == 0, "redis-server exited at start-up on port " << port_);
      asio::ip::tcp::socket probe(io);
      boost::system::error_code ec;
      probe.connect(asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), port_), ec);
      if (!ec) return;
      REQUIRE_MESSAGE(clock_type::now() < deadline, "redis-server did not listen on port " << port_);
      std::this_thread::sleep_for(10ms);
    }
  }

  std::uint16_t port_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
};

// "calls" (plus rejected and failed calls) of one command in INFO commandstats.
long long command_calls(const reply& info, std::string_view name) {
  const std::string prefix = "cmdstat_" + std::string(name) + ":";
  const auto at = info.str.find(prefix);
  if (at == std::string::npos) return 0;
  const auto line_end = info.str.find("\r\n", at);
  const std::string_view line = std::string_view(info.str).substr(at, line_end - at);
  long long total = 0;
  for (std::string_view field : {"calls=", "rejected_calls=", "failed_calls="}) {
    for (auto pos = line.find(field); pos != std::string_view::npos; pos = line.find(field, pos + 1)) {
      if (pos > 0 && line[pos - 1] != ',' && line[pos - 1] != ':') continue;  // "calls=" inside "failed_calls="
      total += std::atoll(std::string(line.substr(pos + field.size())).c_str());
    }
  }
  return total;
}

}  // namespace

TEST_CASE("pipelined SET, GET and INCR in one exec come back as one reply per command, in order") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto cfg = shared_server_config();
    client c(ex, cfg);
    c.start();
    co_await require_connected(c, cfg);
    const auto key = unique_key("pipeline");
    const auto counter = unique_key("pipeline-counter");

    std::vector<command> pipeline{
        command{"SET", key, "a value", "EX", "60"},
        command{"GET", key},
        command{"INCR", counter},
        command{"INCR", counter},
        command{"EXPIRE", counter, "60"},
        command{"GET", unique_key("missing")},
        command{"HGET", key, "field"},  // an error reply for this command only
        command{"INCRBY", counter, "10"},
    };
    const auto replies = co_await must_exec(c, std::move(pipeline));
    REQUIRE(replies.size() == 8);
    CHECK(replies[0].kind == reply::type::status);
    CHECK(replies[0].str == "OK");
    CHECK(replies[1].kind == reply::type::string);
    CHECK(replies[1].str == "a value");
    CHECK(replies[2].integer == 1);
    CHECK(replies[3].integer == 2);
    CHECK(replies[4].integer == 1);
    CHECK(replies[5].is_nil());
    CHECK(replies[6].is_error());
    CHECK(replies[6].error_code() == "WRONGTYPE");
    CHECK(replies[7].integer == 12);

    std::vector<command> nothing{};
    const auto empty = co_await c.exec(std::move(nothing));
    REQUIRE(empty.has_value());
    CHECK(empty->empty());
  });
}

TEST_CASE("binary values with CR/LF, NUL and non-ASCII bytes, and multi-megabyte values, round-trip unchanged") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto cfg = shared_server_config();
    client c(ex, cfg);
    c.start();
    co_await require_connected(c, cfg);
    const auto small_key = unique_key("binary small");  // a space in the key too
    const auto big_key = unique_key("binary-big");
    const std::string small = "line1\r\nline2\0\xff\xfe 短信\r\n"s;
    std::string big;
    big.reserve(3 << 20);
    while (big.size() < (3u << 20)) {
      big += herald::crypto::random_hex(64);
      big += "\r\n\0短"s;
    }

    std::vector<command> round_trip{
        command{"SET", small_key, small, "EX", "60"},
        command{"SET", big_key, big, "EX", "60"},
        command{"GET", small_key},
        command{"GET", big_key},
        command{"STRLEN", big_key},
        command{"SET", unique_key("empty"), "", "EX", "60"},
    };
    const auto replies = co_await must_exec(c, std::move(round_trip));
    REQUIRE(replies.size() == 6);
    CHECK(replies[2].str == small);
    CHECK(replies[3].str.size() == big.size());
    CHECK(replies[3].str == big);
    CHECK(replies[4].integer == static_cast<long long>(big.size()));
    CHECK(replies[5].str == "OK");
  });
}

TEST_CASE("many concurrent exec calls from several coroutines each get their own replies, in order") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto cfg = shared_server_config();
    client c(ex, cfg);
    c.start();
    co_await require_connected(c, cfg);

    constexpr int workers = 24;
    constexpr int rounds = 60;
    const auto prefix = unique_key("concurrent");
    int finished = 0;
    int mismatches = 0;
    std::string first_failure;
    for (int w = 0; w < workers; ++w) {
      auto worker = [&c, &prefix, &finished, &mismatches, &first_failure, w]() -> asio::awaitable<void> {
        const std::string key = prefix + ":" + std::to_string(w);
        const std::string counter = key + ":n";
        for (int round = 0; round < rounds; ++round) {
          const std::string value = "w" + std::to_string(w) + "r" + std::to_string(round);
          std::vector<command> round_commands{
              command{"SET", key, value, "EX", "60"},
              command{"GET", key},
              command{"INCR", counter},
              command{"EXPIRE", counter, "60"},
          };
          auto r = co_await c.exec(std::move(round_commands));
          if (!r) {
            if (first_failure.empty()) first_failure = r.message();
            ++mismatches;
            continue;
          }
          const auto& rs = r.value();
          if (rs.size() != 4 || rs[0].str != "OK" || rs[1].str != value || rs[2].integer != round + 1 ||
              rs[3].integer != 1) {
            ++mismatches;
          }
        }
        ++finished;
      };
      asio::co_spawn(ex, worker, [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
    }
    const bool is_done = co_await wait_until([&] { return finished == workers; }, 30s);
    REQUIRE(is_done);
    CHECK_MESSAGE(mismatches == 0, first_failure);

    std::vector<command> totals;
    for (int w = 0; w < workers; ++w) totals.push_back(command{"GET", prefix + ":" + std::to_string(w) + ":n"});
    const auto replies = co_await must_exec(c, std::move(totals));
    for (const auto& r : replies) CHECK(r.str == std::to_string(rounds));
  });
}

TEST_CASE("eval falls back to EVAL when the script is not cached, and uses EVALSHA once it is") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto cfg = shared_server_config();
    client c(ex, cfg);
    c.start();
    co_await require_connected(c, cfg);

    const script s("local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 60) "
                   "return {KEYS[1], ARGV[1], n} -- " + herald::crypto::random_hex(8));
    const std::string key = unique_key("eval");
    const std::vector<std::string_view> keys{key};
    const std::vector<std::string_view> args{"an argument with spaces"};

    std::vector<command> flush{command{"SCRIPT", "FLUSH"}, command{"SCRIPT", "EXISTS", s.sha1()}};
    auto before = co_await must_exec(c, std::move(flush));
    REQUIRE(before[1].elements.size() == 1);
    CHECK(before[1].elements[0].integer == 0);

    auto first = co_await c.eval(s, keys, args);
    REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.message()));
    CHECK(describe(first.value()) == "[\"" + key + "\", \"an argument with spaces\", (integer) 1]");

    std::vector<command> check_cache{command{"SCRIPT", "EXISTS", s.sha1()}, command{"INFO", "commandstats"}};
    auto cached = co_await must_exec(c, std::move(check_cache));
    CHECK(cached[0].elements.at(0).integer == 1);
    const auto eval_calls = command_calls(cached[1], "eval");
    const auto evalsha_calls = command_calls(cached[1], "evalsha");

    auto second = co_await c.eval(s, keys, args);
    REQUIRE_MESSAGE(second.has_value(), (second ? "" : second.message()));
    CHECK(second->elements.at(2).integer == 2);

    std::vector<command> stats_query{command{"INFO", "commandstats"}};
    auto stats = co_await must_exec(c, std::move(stats_query));
    CHECK(command_calls(stats[0], "evalsha") == evalsha_calls + 1);
    CHECK(command_calls(stats[0], "eval") == eval_calls);

    // A script error is a reply, not a transport failure.
    const script failing("return redis.error_reply('HERALD_TEST something is wrong')");
    auto failed = co_await c.eval(failing, {}, {});
    REQUIRE(failed.has_value());
    CHECK(failed->is_error());
    CHECK(failed->error_code() == "HERALD_TEST");
  });
}

TEST_CASE("exec fails at once with a clear error when the client is not connected") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto cfg = test_config("127.0.0.1", free_port());  // nothing listens there
    client c(ex, cfg);
    int changes = 0;
    c.on_connection_change([&](bool) { ++changes; });
    std::vector<command> ping{command{"PING"}};
    auto before_start = co_await c.exec(std::move(ping));
    REQUIRE_FALSE(before_start.has_value());

    c.start();
    co_await sleep_for(300ms);  // several failed attempts
    CHECK_FALSE(c.is_connected());
    const auto t0 = clock_type::now();
    std::vector<command> ping_again{command{"PING"}};
    auto r = co_await c.exec(std::move(ping_again));
    CHECK(clock_type::now() - t0 < 50ms);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.message() == "redis 127.0.0.1:" + std::to_string(cfg.port) + ": not connected");
    CHECK(changes == 0);  // it never was connected
  });
}

TEST_CASE("AUTH and SELECT are sent on connect, and a wrong password keeps the client disconnected") {
  redis_process server({"--requirepass", "test-only-password"});
  server.start();
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto cfg = test_config("127.0.0.1", server.port());
    cfg.password = "test-only-password";
    cfg.db = 3;
    client in_db3(ex, cfg);
    in_db3.start();
    co_await require_connected(in_db3, cfg);

    auto acl_cfg = cfg;  // username + password: AUTH default <password>
    acl_cfg.username = "default";
    acl_cfg.db = 0;
    client in_db0(ex, acl_cfg);
    in_db0.start();
    co_await require_connected(in_db0, acl_cfg);

    auto wrong_cfg = cfg;
    wrong_cfg.password = "not-the-password";
    client wrong(ex, wrong_cfg);
    wrong.start();

    const auto key = unique_key("select");
    std::vector<command> set{command{"SET", key, "in db 3", "EX", "60"}};
    co_await must_exec(in_db3, std::move(set));
    std::vector<command> get_db3{command{"GET", key}};
    const auto from3 = co_await must_exec(in_db3, std::move(get_db3));
    std::vector<command> get_db0{command{"GET", key}};
    const auto from0 = co_await must_exec(in_db0, std::move(get_db0));
    CHECK(from3[0].str == "in db 3");
    CHECK(from0[0].is_nil());

    co_await sleep_for(300ms);
    CHECK_FALSE(wrong.is_connected());
  });
}

TEST_CASE("when the server goes away requests fail quickly, and the client reconnects when it is back") {
  redis_process server;
  server.start();
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto cfg = test_config("127.0.0.1", server.port());  // command timeout 5 s
    client c(ex, cfg);
    std::vector<bool> changes;
    c.on_connection_change([&](bool is_up) { changes.push_back(is_up); });
    c.start();
    co_await require_connected(c, cfg);
    CHECK(changes == std::vector<bool>{true});
    const auto key = unique_key("outage");
    std::vector<command> set{command{"SET", key, "before", "EX", "60"}};
    co_await must_exec(c, std::move(set));

    server.kill();
    const auto t0 = clock_type::now();
    std::vector<command> get_during{command{"GET", key}};
    auto during = co_await c.exec(std::move(get_during));
    const auto took = clock_type::now() - t0;
    REQUIRE_FALSE(during.has_value());
    CHECK(took < 1s);  // the lost connection, not the 5 s command timeout
    MESSAGE("exec during the outage failed after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms: " << during.message());

    const bool is_down = co_await wait_until([&] { return !c.is_connected(); }, 2s);
    CHECK(is_down);
    CHECK(changes == std::vector<bool>{true, false});
    std::vector<command> ping_while_down{command{"PING"}};
    auto while_down = co_await c.exec(std::move(ping_while_down));
    REQUIRE_FALSE(while_down.has_value());
    CHECK(while_down.message().find("not connected") != std::string::npos);

    co_await sleep_for(300ms);  // let a few reconnect attempts fail
    server.start();
    co_await require_connected(c, cfg);
    CHECK(changes == std::vector<bool>{true, false, true});
    std::vector<command> set_get{command{"SET", key, "after", "EX", "60"}, command{"GET", key}};
    const auto after = co_await must_exec(c, std::move(set_get));
    CHECK(after[1].str == "after");
  });
}

TEST_CASE("a command that outlives command_timeout_ms fails with the requests behind it, and the client reconnects") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    auto cfg = shared_server_config();
    cfg.command_timeout_ms = 200;
    client c(ex, cfg);
    std::vector<bool> changes;
    c.on_connection_change([&](bool is_up) { changes.push_back(is_up); });
    c.start();
    co_await require_connected(c, cfg);
    const auto key = unique_key("timeout");
    std::vector<command> set{command{"SET", key, "the right value", "EX", "60"}};
    co_await must_exec(c, std::move(set));

    // BLPOP on an empty list holds its reply for 2 s (it is the one blocking command Redis runs
    // without enable-debug-command); GET is pipelined behind it on the same connection.
    std::optional<herald::result<std::vector<reply>>> blocked;
    std::optional<herald::result<std::vector<reply>>> behind;
    bool was_connected_after_timeout = true;
    const auto t0 = clock_type::now();
    std::chrono::steady_clock::duration took{};
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      std::vector<command> blpop{command{"BLPOP", unique_key("empty-list"), "2"}};
      blocked.emplace(co_await c.exec(std::move(blpop)));
      took = clock_type::now() - t0;
      was_connected_after_timeout = c.is_connected();
    }, asio::detached);
    asio::co_spawn(ex, [&]() -> asio::awaitable<void> {
      std::vector<command> get{command{"GET", key}};
      behind.emplace(co_await c.exec(std::move(get)));
    }, asio::detached);
    const bool are_both_done = co_await wait_until([&] { return blocked && behind; }, 5s);
    REQUIRE(are_both_done);

    REQUIRE_FALSE(blocked->has_value());
    CHECK(blocked->message().find("timed out after 200 ms") != std::string::npos);
    CHECK(took >= 190ms);
    CHECK(took < 1s);
    CHECK_FALSE(was_connected_after_timeout);
    REQUIRE_FALSE(behind->has_value());
    MESSAGE("timed-out request: " << blocked->message() << "; request behind it: " << behind->message());

    co_await require_connected(c, cfg);
    CHECK(changes == std::vector<bool>{true, false, true});
    // Nothing from the old connection (BLPOP's late nil) may reach a new request.
    std::vector<command> get_ping{command{"GET", key}, command{"PING"}};
    const auto after = co_await must_exec(c, std::move(get_ping));
    CHECK(after[0].str == "the right value");
    CHECK(after[1].str == "PONG");
    co_await sleep_for(2s);  // past the moment the BLPOP reply would have come
    std::vector<command> get_later{command{"GET", key}};
    const auto later = co_await must_exec(c, std::move(get_later));
    CHECK(later[0].str == "the right value");
  });
}

TEST_CASE("a request cancelled by its caller leaves the connection usable and its late reply is dropped") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    using namespace boost::asio::experimental::awaitable_operators;
    const auto cfg = shared_server_config();  // command timeout 5 s
    client c(ex, cfg);
    c.start();
    co_await require_connected(c, cfg);
    const auto key = unique_key("cancel");
    std::vector<command> set{command{"SET", key, "kept", "EX", "60"}};
    co_await must_exec(c, std::move(set));

    asio::steady_timer give_up(ex, 100ms);
    std::vector<command> blocking{command{"BLPOP", unique_key("empty-list"), "1"}};
    auto winner = co_await (c.exec(std::move(blocking)) || give_up.async_wait(asio::use_awaitable));
    CHECK(winner.index() == 1);  // the timer won: exec was cancelled
    CHECK(c.is_connected());

    std::vector<command> get{command{"GET", key}};
    const auto after = co_await must_exec(c, std::move(get));  // answered after BLPOP's nil
    CHECK(after[0].str == "kept");
  });
}

TEST_CASE("every round trip is reported once with its tag and its time; a request refused while down is not") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    const auto cfg = shared_server_config();
    client c(ex, cfg);
    struct seen {
      std::uint8_t tag;
      clock_type::duration took;
    };
    std::vector<seen> trips;
    c.on_round_trip([&](std::uint8_t tag, clock_type::duration took) { trips.push_back({tag, took}); });
    // Not connected yet: refused at once, no round trip.
    std::vector<command> early;
    early.push_back(command{"PING"});
    CHECK_FALSE((co_await c.exec(std::move(early), 9)).has_value());
    CHECK(trips.empty());
    c.start();
    co_await require_connected(c, cfg);
    const std::string key = unique_key("round-trip");
    std::vector<command> two;
    two.push_back(command{"SET", key, "1", "EX", "60"});
    two.push_back(command{"GET", key});
    co_await must_exec(c, std::move(two));  // tag 0: any caller's
    std::vector<command> one;
    one.push_back(command{"PING"});
    const auto started = clock_type::now();
    CHECK((co_await c.exec(std::move(one), 3)).has_value());
    const auto elapsed = clock_type::now() - started;
    REQUIRE(trips.size() == 2);  // a pipeline is one round trip
    CHECK(trips[0].tag == 0);
    CHECK(trips[1].tag == 3);
    CHECK(trips[1].took > clock_type::duration::zero());
    CHECK(trips[1].took <= elapsed);
    // eval passes its tag on, to the EVAL after a NOSCRIPT too: two round trips, both tagged.
    const script s("return 7 -- " + herald::crypto::random_hex(8));
    CHECK((co_await c.eval(s, {}, {}, 5)).has_value());
    REQUIRE(trips.size() == 4);
    CHECK(trips[2].tag == 5);
    CHECK(trips[3].tag == 5);
    CHECK(c.round_trips() == trips.size());
    c.stop();
  });
}
