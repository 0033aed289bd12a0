// herald::ledger::store, and so the real reserve and settle scripts, against the shared
// redis-server (HERALD_REDIS_HOST / HERALD_REDIS_PORT, default 127.0.0.1:16379, started by
// deploy/local/services): what each reserve answers and what it leaves in Redis
// (docs/ledger.md). Redis not being reachable is a test failure, never a skip.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/run_coroutine.hpp"
#include "herald/ledger/ledger_keys.hpp"
#include "herald/ledger/ledger_store.hpp"
#include "herald/redis/client.hpp"
#include "herald/util/crypto.hpp"

// GCC 12 reports a false -Wmismatched-new-delete for Asio's coroutine frames (awaitable_frame's
// own operator new/delete) in coroutine lambdas.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace {

namespace asio = boost::asio;
namespace ledger = herald::ledger;
using namespace std::chrono_literals;
using herald::redis::client;
using herald::redis::command;
using herald::redis::reply;

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

herald::config::redis_config shared_server_config() {
  herald::config::redis_config cfg;
  cfg.host = env_or("HERALD_REDIS_HOST", "127.0.0.1");
  cfg.port = static_cast<std::uint16_t>(std::stoi(env_or("HERALD_REDIS_PORT", "16379")));
  cfg.connect_timeout_ms = 2000;
  cfg.command_timeout_ms = 5000;
  return cfg;
}

void run(const std::function<asio::awaitable<void>(asio::any_io_executor)>& body, std::chrono::seconds limit = 30s) {
  herald::testing::run_coroutine(body, limit);
}

asio::awaitable<void> require_connected(client& c) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 0; i < 500 && !c.is_connected(); ++i) {
    timer.expires_after(10ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  REQUIRE_MESSAGE(c.is_connected(), "Redis is not reachable (start it with deploy/local/services start, or set "
                                    "HERALD_REDIS_HOST / HERALD_REDIS_PORT)");
}

constexpr std::uint32_t retention_hours = 48;  // periods of 2 days
constexpr std::int64_t bucket_ttl = 2 * 2 * 86400 + 3600;  // two periods and an hour
constexpr std::int64_t quota_ttl = 600;

// One test's ledger: a key prefix of its own on the shared server, deleted at the end.
struct world {
  explicit world(client& c) : redis(c) {}

  client& redis;
  std::string prefix = "herald-test:ledger:" + herald::crypto::random_hex(8) + ":";
  ledger::store store{redis, prefix, retention_hours};
  herald::crypto::hmac_sha256_key recipient_key{"ledger-test-recipient-hash-key"};
  std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
  std::int32_t current = static_cast<std::int32_t>(now / (2 * 86400));

  // An event's keys as the guard passes them: period = the reserve's period.
  ledger::item_keys keys(std::string_view event_id, std::string_view recipient = "13800000000") const {
    herald::model::event e;
    e.event_id = event_id;
    e.account = "shop";
    e.to = {herald::model::recipient_kind::phone, std::string(recipient)};
    return ledger::make_keys(prefix, e, now, 480, store.layout(), recipient_key);
  }

  std::string bucket(const ledger::item_keys& k, std::int32_t period) const {
    return prefix + "l:" + std::to_string(period) + ":" + k.ledger.substr(0, 4);
  }
  static std::string field(const ledger::item_keys& k) { return k.ledger.substr(4); }

  asio::awaitable<std::vector<ledger::reserve_answer>> reserve(const std::vector<ledger::reserve_item>& items) {
    auto r = co_await store.reserve(items, now, quota_ttl);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.message()));
    REQUIRE(r->size() == items.size());
    co_return std::move(r.value());
  }

  asio::awaitable<void> settle(const std::vector<ledger::settle_item>& items) {
    auto st = co_await store.settle(items);
    REQUIRE_MESSAGE(st.has_value(), (st ? "" : st.message()));
  }

  // Takes a copy: the same request can be sent again.
  asio::awaitable<std::vector<reply>> exec(std::vector<command> commands) {
    auto r = co_await redis.exec(std::move(commands));
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.message()));
    for (const auto& rep : r.value()) REQUIRE_MESSAGE(!rep.is_error(), rep.str);
    co_return std::move(r.value());
  }

  // SCAN, not KEYS: the shared server holds other tests' keys too.
  asio::awaitable<void> clean_up() {
    std::string cursor = "0";
    do {
      std::vector<command> scan{command{"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "10000"}};
      auto page = co_await exec(std::move(scan));
      REQUIRE(page[0].elements.size() == 2);
      cursor = page[0].elements[0].str;
      std::vector<command> deletes;
      for (const auto& k : page[0].elements[1].elements) deletes.push_back(command{"DEL", k.str});
      co_await exec(std::move(deletes));
    } while (cursor != "0");
  }
};

// Runs `body` with a connected client and a fresh world, then deletes the world's keys.
void with_world(const std::function<asio::awaitable<void>(world&)>& body) {
  run([&](asio::any_io_executor ex) -> asio::awaitable<void> {
    client c(ex, shared_server_config());
    c.start();
    co_await require_connected(c);
    world w{c};
    co_await body(w);
    co_await w.clean_up();
  });
}

}  // namespace

// Requests are named variables, never braced temporaries inside a co_await expression: GCC 12
// cannot compile those ("array used as initializer").

TEST_CASE("ledger: a new record is reserved in the current period's bucket with a TTL, and counted once") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-new");
    std::vector<ledger::reserve_item> batch{{&k, 5}};
    const auto first = co_await w.reserve(batch);
    CHECK(first[0].v == ledger::verdict::reserved);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}, command{"TTL", w.bucket(k, w.current)},
                              command{"GET", k.quota}, command{"TTL", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "R" + std::to_string(w.now));
    CHECK(stored[1].integer > bucket_ttl - 60);
    CHECK(stored[1].integer <= bucket_ttl);
    CHECK(stored[2].str == "1");
    CHECK(stored[3].integer > 0);
    CHECK(stored[3].integer <= quota_ttl);

    // The same notification again: the record answers, the quota is not counted twice.
    const auto again = co_await w.reserve(batch);
    CHECK(again[0].v == ledger::verdict::maybe_sent);
    CHECK(again[0].state == "reserved");
    CHECK(again[0].sent_at_seconds == w.now);
    auto after = co_await w.exec(look);
    CHECK(after[0].str == "R" + std::to_string(w.now));
    CHECK(after[2].str == "1");
  });
}

TEST_CASE("ledger: a later record never extends its bucket's TTL") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto a = w.keys("evt-a");
    // Another event id whose record falls into the same bucket (1 in 16,384).
    ledger::item_keys b;
    for (int i = 0;; ++i) {
      b = w.keys("evt-b-" + std::to_string(i));
      if (b.ledger.substr(0, 4) == a.ledger.substr(0, 4) && b.ledger != a.ledger) break;
    }
    std::vector<ledger::reserve_item> first_batch{{&a, 0}};
    const auto first = co_await w.reserve(first_batch);
    CHECK(first[0].v == ledger::verdict::reserved);
    std::vector<command> shorten{command{"EXPIRE", w.bucket(a, w.current), "100"}};
    co_await w.exec(shorten);
    std::vector<ledger::reserve_item> second_batch{{&b, 0}};
    const auto second = co_await w.reserve(second_batch);
    CHECK(second[0].v == ledger::verdict::reserved);
    std::vector<command> look{command{"TTL", w.bucket(a, w.current)}, command{"HLEN", w.bucket(a, w.current)},
                              command{"EXISTS", a.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer > 0);
    CHECK(stored[0].integer <= 100);
    CHECK(stored[1].integer == 2);
    CHECK(stored[2].integer == 0);  // limit 0: no quota, no counter
  });
}

TEST_CASE("ledger: a record in the previous period's bucket answers and nothing is written in the current period") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-older");
    const auto far = w.keys("evt-too-old");
    const auto old_bucket = w.bucket(k, w.current - 1);  // the previous period: still looked in
    const auto too_old = w.bucket(far, w.current - 2);  // two periods back: no longer blocks
    std::vector<command> seed{command{"HSET", old_bucket, w.field(k), "U1718098082|batch-7f"},
                              command{"EXPIRE", old_bucket, "600"}, command{"HSET", too_old, w.field(far), "Sgone"},
                              command{"EXPIRE", too_old, "600"}};
    co_await w.exec(seed);
    std::vector<ledger::reserve_item> batch{{&k, 5}, {&far, 5}};
    const auto answers = co_await w.reserve(batch);
    CHECK(answers[0].v == ledger::verdict::maybe_sent);
    CHECK(answers[0].state == "unknown");
    CHECK(answers[0].sent_at_seconds == 1718098082);
    CHECK(answers[0].call_out_id == "batch-7f");
    CHECK(answers[1].v == ledger::verdict::reserved);
    std::vector<command> look{command{"HEXISTS", w.bucket(k, w.current), w.field(k)}, command{"GET", k.quota},
                              command{"HGET", old_bucket, w.field(k)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].str == "1");  // one recipient: counted for the new record only
    CHECK(stored[2].str == "U1718098082|batch-7f");
  });
}

TEST_CASE("ledger: a record in the current period's bucket wins over an older one from the previous period") {
  with_world([](world& w) -> asio::awaitable<void> {
    // A receipt check after a period's end settles into the new period's bucket; the older record stays.
    const auto k = w.keys("evt-both");
    const auto yesterday = w.bucket(k, w.current - 1);
    std::vector<command> seed{command{"HSET", yesterday, w.field(k), "U1718098082"},
                              command{"EXPIRE", yesterday, "600"},
                              command{"HSET", w.bucket(k, w.current), w.field(k), "Smsg-today"},
                              command{"EXPIRE", w.bucket(k, w.current), "600"}};
    co_await w.exec(seed);
    std::vector<ledger::reserve_item> batch{{&k, 5}};
    const auto answers = co_await w.reserve(batch);
    CHECK(answers[0].v == ledger::verdict::already_sent);
    CHECK(answers[0].message_id == "msg-today");
    std::vector<command> look{command{"EXISTS", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
  });
}

TEST_CASE("ledger: over quota answers q, leaves no record and the counter at the limit") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto a = w.keys("evt-q1");
    const auto b = w.keys("evt-q2");
    const auto c = w.keys("evt-q3");
    REQUIRE(a.quota == c.quota);  // one recipient
    std::vector<ledger::reserve_item> batch{{&a, 2}, {&b, 2}, {&c, 2}};
    const auto answers = co_await w.reserve(batch);
    CHECK(answers[0].v == ledger::verdict::reserved);
    CHECK(answers[1].v == ledger::verdict::reserved);
    CHECK(answers[2].v == ledger::verdict::over_quota);
    std::vector<command> look{command{"HEXISTS", w.bucket(c, w.current), w.field(c)}, command{"GET", c.quota},
                              command{"HEXISTS", w.bucket(a, w.current), w.field(a)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].str == "2");
    CHECK(stored[2].integer == 1);

    // Over quota again: still nothing reserved; a known record is answered without counting.
    std::vector<ledger::reserve_item> retry{{&c, 2}, {&a, 2}};
    const auto again = co_await w.reserve(retry);
    CHECK(again[0].v == ledger::verdict::over_quota);
    CHECK(again[1].v == ledger::verdict::maybe_sent);
    auto after = co_await w.exec(look);
    CHECK(after[0].integer == 0);
    CHECK(after[1].str == "2");
  });
}

TEST_CASE("ledger: a settled record answers the next reserve; a failure releases and refunds") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto sent = w.keys("evt-sent");
    const auto failed = w.keys("evt-failed");
    std::vector<ledger::reserve_item> batch{{&sent, 5}, {&failed, 5}};
    const auto first = co_await w.reserve(batch);
    CHECK(first[0].v == ledger::verdict::reserved);
    CHECK(first[1].v == ledger::verdict::reserved);
    std::vector<ledger::settle_item> results{{&sent, 5, ledger::settle_op::sent, "msg-1"},
                                             {&failed, 5, ledger::settle_op::failed, ""}};
    co_await w.settle(results);
    std::vector<command> look{command{"HGET", w.bucket(sent, w.current), w.field(sent)},
                              command{"HEXISTS", w.bucket(failed, w.current), w.field(failed)},
                              command{"GET", sent.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "Smsg-1");
    CHECK(stored[1].integer == 0);
    CHECK(stored[2].str == "1");  // one recipient: the failure's count refunded

    const auto later = co_await w.reserve(batch);
    CHECK(later[0].v == ledger::verdict::already_sent);
    CHECK(later[0].message_id == "msg-1");
    CHECK(later[1].v == ledger::verdict::reserved);  // released: a redelivery sends it
  });
}

TEST_CASE("ledger: an unknown fate is recorded with its send time and OutId and answers maybe_sent") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-unknown");
    std::vector<ledger::reserve_item> batch{{&k, 5}};
    CHECK((co_await w.reserve(batch))[0].v == ledger::verdict::reserved);
    const std::string detail = ledger::unknown_record_detail(1700000000, "out-7");
    std::vector<ledger::settle_item> results{{&k, 5, ledger::settle_op::unknown, detail}};
    co_await w.settle(results);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}};
    CHECK((co_await w.exec(look))[0].str == "U1700000000|out-7");
    const auto again = co_await w.reserve(batch);
    CHECK(again[0].v == ledger::verdict::maybe_sent);
    CHECK(again[0].state == "unknown");
    CHECK(again[0].sent_at_seconds == 1700000000);
    CHECK(again[0].call_out_id == "out-7");
  });
}

TEST_CASE("ledger: a settle whose bucket is gone writes the record into a bucket with a TTL") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-lost");
    const auto kept = w.keys("evt-kept", "13900000000");
    std::vector<ledger::reserve_item> batch{{&k, 0}, {&kept, 0}};
    co_await w.reserve(batch);
    // Redis lost the record's bucket (expired, flushed, a failover) while the call was out.
    std::vector<command> lose{command{"DEL", w.bucket(k, w.current)}};
    co_await w.exec(lose);
    std::vector<ledger::settle_item> results{{&k, 0, ledger::settle_op::sent, "msg-9"},
                                             {&kept, 0, ledger::settle_op::sent, "msg-10"}};
    co_await w.settle(results);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)},
                              command{"TTL", w.bucket(k, w.current)},
                              command{"HGET", w.bucket(kept, w.current), w.field(kept)}};
    const auto after = co_await w.exec(look);
    CHECK(after[0].str == "Smsg-9");
    CHECK(after[1].integer > bucket_ttl - 60);
    CHECK(after[1].integer <= bucket_ttl);
    CHECK(after[2].str == "Smsg-10");
  });
}

TEST_CASE("ledger: after a settle that failed half-way, the next one gives every bucket it wrote a TTL") {
  with_world([](world& w) -> asio::awaitable<void> {
    // Two records in different buckets.
    const auto a = w.keys("evt-half-a");
    auto b = w.keys("evt-half-b");
    for (int i = 0; w.bucket(b, w.current) == w.bucket(a, w.current); ++i) b = w.keys("evt-half-b" + std::to_string(i));
    std::vector<ledger::reserve_item> batch{{&a, 0}, {&b, 0}};
    co_await w.reserve(batch);
    // a's HSET fails (its bucket is not a hash); b's bucket is gone, so b's HSET makes a new one
    // without a TTL, and in the same failed round trip.
    std::vector<command> break_them{command{"DEL", w.bucket(a, w.current)}, command{"SET", w.bucket(a, w.current), "x"},
                                    command{"DEL", w.bucket(b, w.current)}};
    co_await w.exec(break_them);
    std::vector<ledger::settle_item> results{{&a, 0, ledger::settle_op::sent, "msg-a"},
                                             {&b, 0, ledger::settle_op::sent, "msg-b"}};
    const auto failed = co_await w.store.settle(results);
    REQUIRE(!failed.has_value());
    CHECK(failed.message().find("WRONGTYPE") != std::string::npos);
    std::vector<command> look_b{command{"HGET", w.bucket(b, w.current), w.field(b)}, command{"TTL", w.bucket(b, w.current)}};
    const auto half = co_await w.exec(look_b);
    CHECK(half[0].str == "Smsg-b");
    CHECK(half[1].integer == -1);  // written, but no TTL yet

    // The retry: b's field is there already (HSET answers 0), yet its bucket gets its TTL.
    std::vector<command> repair{command{"DEL", w.bucket(a, w.current)}};
    co_await w.exec(repair);
    co_await w.settle(results);
    std::vector<command> look{command{"TTL", w.bucket(b, w.current)}, command{"TTL", w.bucket(a, w.current)},
                              command{"HGET", w.bucket(a, w.current), w.field(a)}};
    const auto after = co_await w.exec(look);
    CHECK(after[0].integer > bucket_ttl - 60);
    CHECK(after[1].integer > bucket_ttl - 60);
    CHECK(after[2].str == "Smsg-a");
  });
}

TEST_CASE("ledger: a settle never extends a live bucket's TTL") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-ttl");
    std::vector<ledger::reserve_item> batch{{&k, 0}};
    co_await w.reserve(batch);
    std::vector<command> shorten{command{"EXPIRE", w.bucket(k, w.current), "100"}};
    co_await w.exec(shorten);
    std::vector<ledger::settle_item> results{{&k, 0, ledger::settle_op::sent, "msg-11"}};
    co_await w.settle(results);
    std::vector<command> look{command{"TTL", w.bucket(k, w.current)}};
    const auto ttl = (co_await w.exec(look))[0].integer;
    CHECK(ttl > 0);
    CHECK(ttl <= 100);
  });
}

TEST_CASE("ledger: a reserve with an item of another period is refused before Redis sees it") {
  with_world([](world& w) -> asio::awaitable<void> {
    auto k = w.keys("evt-day");
    k.period = w.current - 1;  // a settle would look in the previous period's bucket, the record would be in the current one
    const std::vector<ledger::reserve_item> batch{{&k, 5}};
    auto r = co_await w.store.reserve(batch, w.now, quota_ttl);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.message().find("not the reserve's period") != std::string::npos);
    std::vector<command> look{command{"EXISTS", w.bucket(k, w.current)}, command{"EXISTS", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].integer == 0);
  });
}
