// herald::ledger::store, and so the real reserve, write and settle scripts, against the shared
// redis-server (HERALD_REDIS_HOST / HERALD_REDIS_PORT, default 127.0.0.1:16379, started by
// deploy/local/services): what each call answers and what it leaves in Redis (docs/ledger.md,
// States). Redis not being reachable is a test failure, never a skip.
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
#include "herald/util/time.hpp"

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

  // The quota day of `now` at +08:00 (the keys' offset), and the day before.
  std::int32_t today = herald::time::calendar_day(now, 480);
  std::int32_t yesterday = herald::time::calendar_day(now - 86400, 480);
  std::string quota_of_day(const ledger::item_keys& k, std::int32_t day) const {
    std::string out;
    ledger::append_quota_key_of_day(out, k, day);
    return out;
  }

  asio::awaitable<std::vector<ledger::reserve_answer>> reserve(const std::vector<ledger::reserve_item>& items,
                                                               std::string_view owner = "0000aaaa.1") {
    auto r = co_await store.reserve(items, owner, now, quota_ttl);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.message()));
    REQUIRE(r->size() == items.size());
    co_return std::move(r.value());
  }

  asio::awaitable<std::vector<ledger::write_answer>> mark_written(const std::vector<ledger::write_item>& items,
                                                                  std::int64_t at) {
    auto r = co_await store.mark_written(items, at);
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

namespace {
constexpr std::string_view owner_a = "0000aaaa.1";
constexpr std::string_view owner_b = "0000bbbb.1";
constexpr std::string_view owner_c = "0000cccc.1";
constexpr std::string_view source_1 = "7veVnriKEHs";
constexpr std::string_view source_2 = "ynJmibFlLMg";
using ledger::reserve_mode;
using ledger::record_state;
using ledger::settle_op;
using ledger::verdict;
}  // namespace

TEST_CASE("ledger: a new record is the owner's reservation in the current period's bucket with a TTL, counted once") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-new");
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    const auto first = co_await w.reserve(batch, owner_a);
    CHECK(first[0].v == verdict::reserved);
    CHECK_FALSE(first[0].is_taken_over);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}, command{"TTL", w.bucket(k, w.current)},
                              command{"GET", k.quota}, command{"TTL", k.quota}};
    auto stored = co_await w.exec(look);
    const std::string mine = "r" + std::to_string(w.now) + "|" + std::string(owner_a) + "|" + std::to_string(w.today);
    CHECK(stored[0].str == mine);
    CHECK(stored[1].integer > bucket_ttl - 60);
    CHECK(stored[1].integer <= bucket_ttl);
    CHECK(stored[2].str == "1");
    CHECK(stored[3].integer > 0);
    CHECK(stored[3].integer <= quota_ttl);

    // The same reserve again (its answer was lost): the caller's own reservation, counted once.
    const auto again = co_await w.reserve(batch, owner_a);
    CHECK(again[0].v == verdict::reserved);
    CHECK_FALSE(again[0].is_taken_over);
    auto after = co_await w.exec(look);
    CHECK(after[0].str == mine);
    CHECK(after[2].str == "1");
  });
}

TEST_CASE("ledger: a reservation without a limit charges nothing and records no day") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-free");
    std::vector<ledger::reserve_item> batch{{&k, 0, source_1}};
    CHECK((co_await w.reserve(batch, owner_a))[0].v == verdict::reserved);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}, command{"EXISTS", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "r" + std::to_string(w.now) + "|" + std::string(owner_a) + "|");
    CHECK(stored[1].integer == 0);
  });
}

TEST_CASE("ledger: another owner takes an `r` over without a charge, and the first owner is fenced out") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-take");
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    CHECK((co_await w.reserve(batch, owner_a))[0].v == verdict::reserved);
    // A new owner (a rebalance, a restart) finds an `r`: nothing was written, it may take it.
    const auto taken = co_await w.reserve(batch, owner_b);
    CHECK(taken[0].v == verdict::reserved);
    CHECK(taken[0].is_taken_over);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}, command{"GET", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "r" + std::to_string(w.now) + "|" + std::string(owner_b) + "|" + std::to_string(w.today));
    CHECK(stored[1].str == "1");

    // The old owner's write is refused: it must not send.
    std::vector<ledger::write_item> old_call{{&k, owner_a, source_1, "out-a"}};
    const auto refused = co_await w.mark_written(old_call, w.now + 1);
    CHECK_FALSE(refused[0].is_written);
    CHECK(refused[0].found.state == record_state::reserved);
    CHECK(refused[0].found.owner == owner_b);
    // The new owner's is written, and again after a lost answer, the same.
    std::vector<ledger::write_item> new_call{{&k, owner_b, source_2, "out-b"}};
    CHECK((co_await w.mark_written(new_call, w.now + 2))[0].is_written);
    const std::string written = "w" + std::to_string(w.now + 2) + "|" + std::string(owner_b) + "|" +
                                std::to_string(w.today) + "|" + std::string(source_2) + "|out-b";
    CHECK((co_await w.exec(look))[0].str == written);
    CHECK((co_await w.mark_written(new_call, w.now + 2))[0].is_written);
    CHECK((co_await w.exec(look))[0].str == written);
    // Once written, the old owner is still refused, and nobody takes it over.
    const auto still = co_await w.mark_written(old_call, w.now + 3);
    CHECK_FALSE(still[0].is_written);
    CHECK(still[0].found.state == record_state::written);
    const auto found = co_await w.reserve(batch, owner_c);
    CHECK(found[0].v == verdict::found);
    CHECK(found[0].found.state == record_state::written);
    CHECK(found[0].found.owner == owner_b);
    CHECK(found[0].found.at_seconds == w.now + 2);
    CHECK(found[0].found.call_out_id == "out-b");
    std::vector<ledger::reserve_item> resend{{&k, 5, source_2, reserve_mode::resend}};
    CHECK((co_await w.reserve(resend, owner_c))[0].v == verdict::found);
    auto after = co_await w.exec(look);
    CHECK(after[0].str == written);
    CHECK(after[1].str == "1");
  });
}

TEST_CASE("ledger: mark_written of a record that is gone, or settled, writes nothing") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto gone = w.keys("evt-gone");
    const auto sent = w.keys("evt-w-sent");
    std::vector<command> seed{command{"HSET", w.bucket(sent, w.current), w.field(sent), "s" + std::string(source_1) + "|m-1"}};
    co_await w.exec(seed);
    std::vector<ledger::write_item> call{{&gone, owner_a, source_1, ""}, {&sent, owner_a, source_1, ""}};
    const auto answers = co_await w.mark_written(call, w.now);
    CHECK_FALSE(answers[0].is_written);
    CHECK(answers[0].found.state == record_state::none);
    CHECK_FALSE(answers[1].is_written);
    CHECK(answers[1].found.state == record_state::sent);
    CHECK(answers[1].found.message_id == "m-1");
    std::vector<command> look{command{"HEXISTS", w.bucket(gone, w.current), w.field(gone)},
                              command{"HGET", w.bucket(sent, w.current), w.field(sent)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].str == "s" + std::string(source_1) + "|m-1");
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
    std::vector<ledger::reserve_item> first_batch{{&a, 0, source_1}};
    const auto first = co_await w.reserve(first_batch);
    CHECK(first[0].v == verdict::reserved);
    std::vector<command> shorten{command{"EXPIRE", w.bucket(a, w.current), "100"}};
    co_await w.exec(shorten);
    std::vector<ledger::reserve_item> second_batch{{&b, 0, source_1}};
    const auto second = co_await w.reserve(second_batch);
    CHECK(second[0].v == verdict::reserved);
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
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}, {&far, 5, source_1}};
    const auto answers = co_await w.reserve(batch);
    CHECK(answers[0].v == verdict::found);
    CHECK(answers[0].found.state == record_state::checking);
    CHECK(answers[0].found.is_legacy);
    CHECK(answers[0].found.at_seconds == 1718098082);
    CHECK(answers[0].found.call_out_id == "batch-7f");
    CHECK(answers[1].v == verdict::reserved);
    std::vector<command> look{command{"HEXISTS", w.bucket(k, w.current), w.field(k)}, command{"GET", k.quota},
                              command{"HGET", old_bucket, w.field(k)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].str == "1");  // one recipient: counted for the new record only
    CHECK(stored[2].str == "U1718098082|batch-7f");
  });
}

TEST_CASE("ledger: an `r` of the previous period is taken into the current period's bucket, where the item's calls look") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto mine = w.keys("evt-prev-mine");
    const auto theirs = w.keys("evt-prev-theirs");
    const std::string day = std::to_string(w.yesterday);
    const std::string mine_value = "r" + std::to_string(w.now - 3600) + "|" + std::string(owner_a) + "|" + day;
    std::vector<command> seed{
        command{"HSET", w.bucket(mine, w.current - 1), w.field(mine), mine_value},
        command{"HSET", w.bucket(theirs, w.current - 1), w.field(theirs), "r1|" + std::string(owner_b) + "|" + day},
        command{"EXPIRE", w.bucket(mine, w.current - 1), "600"}, command{"EXPIRE", w.bucket(theirs, w.current - 1), "600"}};
    co_await w.exec(seed);
    // The reserve's answer was lost before the period's end; its retry runs in the next period.
    std::vector<ledger::reserve_item> batch{{&mine, 5, source_1}, {&theirs, 5, source_1}};
    const auto answers = co_await w.reserve(batch, owner_a);
    CHECK(answers[0].v == verdict::reserved);
    CHECK_FALSE(answers[0].is_taken_over);
    CHECK(answers[1].v == verdict::reserved);
    CHECK(answers[1].is_taken_over);
    std::vector<command> look{command{"HGET", w.bucket(mine, w.current), w.field(mine)},
                              command{"HGET", w.bucket(theirs, w.current), w.field(theirs)},
                              command{"TTL", w.bucket(mine, w.current)}, command{"EXISTS", mine.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == mine_value);
    CHECK(stored[1].str == "r" + std::to_string(w.now) + "|" + std::string(owner_a) + "|" + day);  // the day kept
    CHECK(stored[2].integer > bucket_ttl - 60);
    CHECK(stored[3].integer == 0);  // nothing charged
    std::vector<ledger::write_item> call{{&mine, owner_a, source_1, ""}, {&theirs, owner_a, source_1, ""}};
    const auto written = co_await w.mark_written(call, w.now);
    CHECK(written[0].is_written);
    CHECK(written[1].is_written);
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
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    const auto answers = co_await w.reserve(batch);
    CHECK(answers[0].v == verdict::found);
    CHECK(answers[0].found.state == record_state::sent);
    CHECK(answers[0].found.message_id == "msg-today");
    CHECK(answers[0].found.source.empty());  // legacy: no source
    std::vector<command> look{command{"EXISTS", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
  });
}

TEST_CASE("ledger: values written by an older Herald are found, never taken over") {
  with_world([](world& w) -> asio::awaitable<void> {
    // An old `R` may have been on the wire (the old Herald reserved before writing): never an `r`.
    const auto old_r = w.keys("evt-legacy-r");
    const auto old_u = w.keys("evt-legacy-u");
    const auto old_s = w.keys("evt-legacy-s");
    std::vector<command> seed{command{"HSET", w.bucket(old_r, w.current), w.field(old_r), "R1718098080"},
                              command{"HSET", w.bucket(old_u, w.current), w.field(old_u), "U"},
                              command{"HSET", w.bucket(old_s, w.current), w.field(old_s), "Smsg|7"}};
    co_await w.exec(seed);
    std::vector<ledger::reserve_item> batch{{&old_r, 5, source_1}, {&old_u, 5, source_1}, {&old_s, 5, source_1}};
    const auto answers = co_await w.reserve(batch);
    for (const auto& a : answers) CHECK(a.v == verdict::found);
    CHECK(answers[0].found.state == record_state::checking);
    CHECK(answers[0].found.is_legacy);
    CHECK(answers[0].found.at_seconds == 1718098080);
    CHECK(answers[1].found.state == record_state::checking);
    CHECK(answers[1].found.at_seconds == 0);
    CHECK(answers[2].found.state == record_state::sent);
    CHECK(answers[2].found.message_id == "msg|7");
    std::vector<ledger::write_item> call{{&old_r, owner_a, source_1, ""}};
    CHECK_FALSE((co_await w.mark_written(call, w.now))[0].is_written);
    // A receipt check that proved nothing was sent resends the old record (it has no source to compare).
    std::vector<ledger::reserve_item> resend{{&old_r, 5, source_1, reserve_mode::resend}};
    CHECK((co_await w.reserve(resend, owner_a))[0].v == verdict::reserved);
    std::vector<command> look{command{"HGET", w.bucket(old_r, w.current), w.field(old_r)}, command{"EXISTS", old_r.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "r" + std::to_string(w.now) + "|" + std::string(owner_a) + "|");
    CHECK(stored[1].integer == 0);
  });
}

TEST_CASE("ledger: over quota answers q, leaves no record and the counter at the limit") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto a = w.keys("evt-q1");
    const auto b = w.keys("evt-q2");
    const auto c = w.keys("evt-q3");
    REQUIRE(a.quota == c.quota);  // one recipient
    std::vector<ledger::reserve_item> batch{{&a, 2, source_1}, {&b, 2, source_1}, {&c, 2, source_1}};
    const auto answers = co_await w.reserve(batch);
    CHECK(answers[0].v == verdict::reserved);
    CHECK(answers[1].v == verdict::reserved);
    CHECK(answers[2].v == verdict::over_quota);
    std::vector<command> look{command{"HEXISTS", w.bucket(c, w.current), w.field(c)}, command{"GET", c.quota},
                              command{"HEXISTS", w.bucket(a, w.current), w.field(a)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].str == "2");
    CHECK(stored[2].integer == 1);

    // Over quota again: still nothing reserved; a record taken over is not counted.
    std::vector<ledger::reserve_item> retry{{&c, 2, source_1}, {&a, 2, source_1}};
    const auto again = co_await w.reserve(retry, owner_b);
    CHECK(again[0].v == verdict::over_quota);
    CHECK(again[1].v == verdict::reserved);
    CHECK(again[1].is_taken_over);
    auto after = co_await w.exec(look);
    CHECK(after[0].integer == 0);
    CHECK(after[1].str == "2");
  });
}

TEST_CASE("ledger: a sent record answers the next reserve with its source; a failure releases and refunds once") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto sent = w.keys("evt-sent");
    const auto failed = w.keys("evt-failed");
    std::vector<ledger::reserve_item> batch{{&sent, 5, source_1}, {&failed, 5, source_1}};
    const auto first = co_await w.reserve(batch, owner_a);
    CHECK(first[0].v == verdict::reserved);
    CHECK(first[1].v == verdict::reserved);
    std::vector<ledger::settle_item> results{{&sent, settle_op::sent, owner_a, source_1, "msg|1"},
                                             {&failed, settle_op::failed, owner_a, source_1}};
    co_await w.settle(results);
    std::vector<command> look{command{"HGET", w.bucket(sent, w.current), w.field(sent)},
                              command{"HEXISTS", w.bucket(failed, w.current), w.field(failed)},
                              command{"GET", sent.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "s" + std::string(source_1) + "|msg|1");
    CHECK(stored[1].integer == 0);
    CHECK(stored[2].str == "1");  // one recipient: the failure's count refunded

    // The same settle again (its answer was lost): nothing refunded twice.
    co_await w.settle(results);
    CHECK((co_await w.exec(look))[2].str == "1");

    const auto later = co_await w.reserve(batch, owner_b);
    CHECK(later[0].v == verdict::found);
    CHECK(later[0].found.state == record_state::sent);
    CHECK(later[0].found.source == source_1);
    CHECK(later[0].found.message_id == "msg|1");
    CHECK(later[1].v == verdict::reserved);  // released: a redelivery sends it
    CHECK_FALSE(later[1].is_taken_over);
    CHECK((co_await w.exec(look))[2].str == "2");
  });
}

TEST_CASE("ledger: a failure is released only by its owner, and never refunds below zero") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-not-mine");
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    co_await w.reserve(batch, owner_a);
    co_await w.reserve(batch, owner_b);  // taken over
    std::vector<ledger::settle_item> stale{{&k, settle_op::failed, owner_a}};
    co_await w.settle(stale);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}, command{"GET", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str.rfind("r" + std::to_string(w.now) + "|" + std::string(owner_b) + "|", 0) == 0);
    CHECK(stored[1].str == "1");
    // The counter is gone (or was reset) by the time the owner fails: no negative count.
    std::vector<command> reset{command{"DEL", k.quota}};
    co_await w.exec(reset);
    std::vector<ledger::settle_item> own{{&k, settle_op::failed, owner_b}};
    co_await w.settle(own);
    stored = co_await w.exec(look);
    CHECK(stored[0].is_nil());
    CHECK(stored[1].is_nil());
  });
}

TEST_CASE("ledger: a failure refunds the day its record charged, not the item's day") {
  with_world([](world& w) -> asio::awaitable<void> {
    // Reserved yesterday (a record of yesterday's day), failed with today's keys: a takeover
    // keeps the day too, and the refund goes to yesterday's counter.
    const auto k = w.keys("evt-day-refund");
    const std::string yesterdays = w.quota_of_day(k, w.yesterday);
    REQUIRE(yesterdays != k.quota);
    std::vector<command> seed{
        command{"HSET", w.bucket(k, w.current), w.field(k),
                "r" + std::to_string(w.now - 86400) + "|" + std::string(owner_a) + "|" + std::to_string(w.yesterday)},
        command{"SET", yesterdays, "3", "EX", "600"}, command{"SET", k.quota, "1", "EX", "600"}};
    co_await w.exec(seed);
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    const auto taken = co_await w.reserve(batch, owner_b);
    CHECK(taken[0].is_taken_over);
    std::vector<ledger::write_item> call{{&k, owner_b, source_1, "o"}};
    CHECK((co_await w.mark_written(call, w.now))[0].is_written);
    std::vector<ledger::settle_item> failed{{&k, settle_op::failed, owner_b}};
    co_await w.settle(failed);
    co_await w.settle(failed);
    std::vector<command> look{command{"GET", yesterdays}, command{"GET", k.quota},
                              command{"HEXISTS", w.bucket(k, w.current), w.field(k)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "2");
    CHECK(stored[1].str == "1");
    CHECK(stored[2].integer == 0);
  });
}

TEST_CASE("ledger: an unknown fate keeps the charged day, and answers with its time, source and OutId") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-unknown");
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    CHECK((co_await w.reserve(batch, owner_a))[0].v == verdict::reserved);
    std::vector<ledger::write_item> call{{&k, owner_a, source_1, "out-7"}};
    CHECK((co_await w.mark_written(call, 1700000000))[0].is_written);
    std::vector<ledger::settle_item> results{{&k, settle_op::checking, "", source_1, "", 1700000000, "out-7"}};
    co_await w.settle(results);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}};
    CHECK((co_await w.exec(look))[0].str == "c1700000000|" + std::to_string(w.today) + "|" + std::string(source_1) + "|out-7");
    const auto checking = co_await w.reserve(batch, owner_b);
    CHECK(checking[0].v == verdict::found);
    CHECK(checking[0].found.state == record_state::checking);
    CHECK(checking[0].found.at_seconds == 1700000000);
    CHECK(checking[0].found.quota_day == w.today);
    CHECK(checking[0].found.source == source_1);
    CHECK(checking[0].found.call_out_id == "out-7");
    results[0].op = settle_op::unknown;
    co_await w.settle(results);
    CHECK((co_await w.exec(look))[0].str == "u1700000000|" + std::to_string(w.today) + "|" + std::string(source_1) + "|out-7");
    const auto unknown = co_await w.reserve(batch, owner_b);
    CHECK(unknown[0].found.state == record_state::unknown);
  });
}

TEST_CASE("ledger: a resend turns its own source's `c` or `u` into the caller's `r`, and refuses other sources") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto c = w.keys("evt-resend-c");
    const auto u = w.keys("evt-resend-u", "13900000000");
    const std::string day = std::to_string(w.today);
    std::vector<command> seed{
        command{"HSET", w.bucket(c, w.current), w.field(c), "c1700000000|" + day + "|" + std::string(source_1) + "|o"},
        command{"HSET", w.bucket(u, w.current), w.field(u), "u1700000000|" + day + "|" + std::string(source_1) + "|"},
        command{"SET", c.quota, "1", "EX", "600"}};
    co_await w.exec(seed);
    // Another consumed record of the same notification (a repeat) may not resend it.
    std::vector<ledger::reserve_item> other{{&c, 5, source_2, reserve_mode::resend}, {&u, 5, source_2, reserve_mode::resend}};
    const auto refused = co_await w.reserve(other, owner_b);
    CHECK(refused[0].v == verdict::found);
    CHECK(refused[0].found.state == record_state::checking);
    CHECK(refused[1].v == verdict::found);
    CHECK(refused[1].found.state == record_state::unknown);
    // A fresh reserve never takes a `c` or `u`, even from its own source.
    std::vector<ledger::reserve_item> fresh{{&c, 5, source_1}, {&u, 5, source_1}};
    const auto not_taken = co_await w.reserve(fresh, owner_b);
    for (const auto& a : not_taken) CHECK(a.v == verdict::found);
    std::vector<ledger::reserve_item> own{{&c, 5, source_1, reserve_mode::resend}, {&u, 5, source_1, reserve_mode::resend}};
    const auto again = co_await w.reserve(own, owner_b);
    CHECK(again[0].v == verdict::reserved);
    CHECK_FALSE(again[0].is_taken_over);
    CHECK(again[1].v == verdict::reserved);
    std::vector<command> look{command{"HGET", w.bucket(c, w.current), w.field(c)},
                              command{"HGET", w.bucket(u, w.current), w.field(u)}, command{"GET", c.quota},
                              command{"EXISTS", u.quota}};
    auto stored = co_await w.exec(look);
    const std::string mine = "r" + std::to_string(w.now) + "|" + std::string(owner_b) + "|" + day;
    CHECK(stored[0].str == mine);
    CHECK(stored[1].str == mine);
    CHECK(stored[2].str == "1");    // nothing charged again
    CHECK(stored[3].integer == 0);  // nor a first time
    // A resend of a record that is gone is a new reservation, charged.
    const auto absent = w.keys("evt-resend-absent", "13700000000");
    std::vector<ledger::reserve_item> gone{{&absent, 5, source_1, reserve_mode::resend}};
    CHECK((co_await w.reserve(gone, owner_b))[0].v == verdict::reserved);
    std::vector<command> count{command{"GET", absent.quota}};
    CHECK((co_await w.exec(count))[0].str == "1");
  });
}

TEST_CASE("ledger: checking and unknown never overwrite a sent record, of this period or the previous one") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto now_sent = w.keys("evt-s-now");
    const auto before_sent = w.keys("evt-s-before");
    const auto legacy_sent = w.keys("evt-s-legacy");
    std::vector<ledger::reserve_item> batch{{&now_sent, 0, source_1}};
    co_await w.reserve(batch, owner_a);
    std::vector<ledger::settle_item> sent{{&now_sent, settle_op::sent, owner_a, source_1, "m-now"}};
    co_await w.settle(sent);
    std::vector<command> seed{
        command{"HSET", w.bucket(before_sent, w.current - 1), w.field(before_sent), "s" + std::string(source_1) + "|m-old"},
        command{"EXPIRE", w.bucket(before_sent, w.current - 1), "600"},
        command{"HSET", w.bucket(legacy_sent, w.current), w.field(legacy_sent), "Sm-legacy"}};
    co_await w.exec(seed);
    std::vector<ledger::settle_item> late{{&now_sent, settle_op::checking, "", source_2, "", w.now, "o"},
                                          {&before_sent, settle_op::unknown, "", source_2, "", w.now, "o"},
                                          {&legacy_sent, settle_op::checking, "", source_2, "", w.now, "o"}};
    co_await w.settle(late);
    std::vector<command> look{command{"HGET", w.bucket(now_sent, w.current), w.field(now_sent)},
                              command{"HEXISTS", w.bucket(before_sent, w.current), w.field(before_sent)},
                              command{"HGET", w.bucket(legacy_sent, w.current), w.field(legacy_sent)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "s" + std::string(source_1) + "|m-now");
    CHECK(stored[1].integer == 0);
    CHECK(stored[2].str == "Sm-legacy");
    // A send goes over anything, an unknown fate included.
    const auto fresh = w.keys("evt-s-over-u");
    std::vector<ledger::settle_item> first{{&fresh, settle_op::unknown, "", source_1, "", w.now, ""}};
    co_await w.settle(first);
    std::vector<ledger::settle_item> then_sent{{&fresh, settle_op::sent, "", source_1, "m-late"}};
    co_await w.settle(then_sent);
    std::vector<command> look_fresh{command{"HGET", w.bucket(fresh, w.current), w.field(fresh)}};
    CHECK((co_await w.exec(look_fresh))[0].str == "s" + std::string(source_1) + "|m-late");
  });
}

TEST_CASE("ledger: an unknown fate of a record that is gone is written into a bucket with a TTL, with no day") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-u-gone");
    const auto prev = w.keys("evt-u-prev", "13900000000");
    std::vector<command> seed{command{"HSET", w.bucket(prev, w.current - 1), w.field(prev),
                                      "w5|" + std::string(owner_a) + "|" + std::to_string(w.yesterday) + "|s|o"},
                              command{"EXPIRE", w.bucket(prev, w.current - 1), "600"}};
    co_await w.exec(seed);
    std::vector<ledger::settle_item> results{{&k, settle_op::unknown, "", source_1, "", 17, "o"},
                                             {&prev, settle_op::checking, "", source_1, "", 18, "o"}};
    co_await w.settle(results);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}, command{"TTL", w.bucket(k, w.current)},
                              command{"HGET", w.bucket(prev, w.current), w.field(prev)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "u17||" + std::string(source_1) + "|o");
    CHECK(stored[1].integer > bucket_ttl - 60);
    // The previous period's record's day is carried into the current one's.
    CHECK(stored[2].str == "c18|" + std::to_string(w.yesterday) + "|" + std::string(source_1) + "|o");
  });
}

TEST_CASE("ledger: not_sent gives the owner its `r` back, and the owner may write it again") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-not-sent");
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    co_await w.reserve(batch, owner_a);
    std::vector<ledger::write_item> call{{&k, owner_a, source_1, "o-1"}};
    CHECK((co_await w.mark_written(call, w.now + 5))[0].is_written);
    // Another owner's not_sent changes nothing.
    std::vector<ledger::settle_item> stale{{&k, settle_op::not_sent, owner_b}};
    co_await w.settle(stale);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)}, command{"GET", k.quota}};
    CHECK((co_await w.exec(look))[0].str.rfind("w", 0) == 0);
    std::vector<ledger::settle_item> own{{&k, settle_op::not_sent, owner_a}};
    co_await w.settle(own);
    co_await w.settle(own);  // a retry after a lost answer: the same
    auto stored = co_await w.exec(look);
    CHECK(stored[0].str == "r" + std::to_string(w.now + 5) + "|" + std::string(owner_a) + "|" + std::to_string(w.today));
    CHECK(stored[1].str == "1");
    // Now an `r` again: nothing went out, so another owner could take it; its owner writes it again.
    CHECK((co_await w.mark_written(call, w.now + 9))[0].is_written);
  });
}

TEST_CASE("ledger: a settle whose bucket is gone writes the record into a bucket with a TTL") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-lost");
    const auto kept = w.keys("evt-kept", "13900000000");
    std::vector<ledger::reserve_item> batch{{&k, 0, source_1}, {&kept, 0, source_1}};
    co_await w.reserve(batch);
    // Redis lost the record's bucket (expired, flushed, a failover) while the call was out.
    std::vector<command> lose{command{"DEL", w.bucket(k, w.current)}};
    co_await w.exec(lose);
    std::vector<ledger::settle_item> results{{&k, settle_op::sent, "", source_1, "msg-9"},
                                             {&kept, settle_op::sent, "", source_1, "msg-10"}};
    co_await w.settle(results);
    std::vector<command> look{command{"HGET", w.bucket(k, w.current), w.field(k)},
                              command{"TTL", w.bucket(k, w.current)},
                              command{"HGET", w.bucket(kept, w.current), w.field(kept)}};
    const auto after = co_await w.exec(look);
    CHECK(after[0].str == "s" + std::string(source_1) + "|msg-9");
    CHECK(after[1].integer > bucket_ttl - 60);
    CHECK(after[1].integer <= bucket_ttl);
    CHECK(after[2].str == "s" + std::string(source_1) + "|msg-10");
  });
}

TEST_CASE("ledger: after a settle that failed half-way, the next one gives every bucket it wrote a TTL") {
  with_world([](world& w) -> asio::awaitable<void> {
    // Two records in different buckets.
    const auto a = w.keys("evt-half-a");
    auto b = w.keys("evt-half-b");
    for (int i = 0; w.bucket(b, w.current) == w.bucket(a, w.current); ++i) b = w.keys("evt-half-b" + std::to_string(i));
    std::vector<ledger::reserve_item> batch{{&a, 0, source_1}, {&b, 0, source_1}};
    co_await w.reserve(batch);
    // a's HSET fails (its bucket is not a hash); b's bucket is gone, so b's HSET makes a new one
    // without a TTL, and in the same failed round trip.
    std::vector<command> break_them{command{"DEL", w.bucket(a, w.current)}, command{"SET", w.bucket(a, w.current), "x"},
                                    command{"DEL", w.bucket(b, w.current)}};
    co_await w.exec(break_them);
    std::vector<ledger::settle_item> results{{&a, settle_op::sent, "", source_1, "msg-a"},
                                             {&b, settle_op::sent, "", source_1, "msg-b"}};
    const auto failed = co_await w.store.settle(results);
    REQUIRE(!failed.has_value());
    CHECK(failed.message().find("WRONGTYPE") != std::string::npos);
    std::vector<command> look_b{command{"HGET", w.bucket(b, w.current), w.field(b)}, command{"TTL", w.bucket(b, w.current)}};
    const auto half = co_await w.exec(look_b);
    CHECK(half[0].str == "s" + std::string(source_1) + "|msg-b");
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
    CHECK(after[2].str == "s" + std::string(source_1) + "|msg-a");
  });
}

TEST_CASE("ledger: a settle never extends a live bucket's TTL") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-ttl");
    const auto u = w.keys("evt-ttl-u");
    std::vector<ledger::reserve_item> batch{{&k, 0, source_1}};
    co_await w.reserve(batch);
    std::vector<command> shorten{command{"EXPIRE", w.bucket(k, w.current), "100"}};
    co_await w.exec(shorten);
    std::vector<ledger::settle_item> results{{&k, settle_op::sent, "", source_1, "msg-11"}};
    co_await w.settle(results);
    std::vector<command> look{command{"TTL", w.bucket(k, w.current)}};
    const auto ttl = (co_await w.exec(look))[0].integer;
    CHECK(ttl > 0);
    CHECK(ttl <= 100);
    if (w.bucket(u, w.current) == w.bucket(k, w.current)) co_return;  // 1 in 16,384
    std::vector<command> shorten_u{command{"HSET", w.bucket(u, w.current), "other", "x"},
                                   command{"EXPIRE", w.bucket(u, w.current), "100"}};
    co_await w.exec(shorten_u);
    std::vector<ledger::settle_item> unknown{{&u, settle_op::unknown, "", source_1, "", 1, ""}};
    co_await w.settle(unknown);
    std::vector<command> look_u{command{"TTL", w.bucket(u, w.current)}};
    const auto ttl_u = (co_await w.exec(look_u))[0].integer;
    CHECK(ttl_u > 0);
    CHECK(ttl_u <= 100);
  });
}

TEST_CASE("ledger: a settle's script runs by its text when Redis has lost its cache, in the same settle") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto k = w.keys("evt-noscript");
    const auto s = w.keys("evt-noscript-sent", "13900000000");
    std::vector<ledger::reserve_item> batch{{&k, 5, source_1}, {&s, 5, source_1}};
    co_await w.reserve(batch, owner_a);
    // Other tests on the shared server only pay one EVAL for this.
    std::vector<command> flush{command{"SCRIPT", "FLUSH"}};
    co_await w.exec(flush);
    std::vector<ledger::settle_item> results{{&k, settle_op::failed, owner_a}, {&s, settle_op::sent, owner_a, source_1, "m"}};
    co_await w.settle(results);
    std::vector<command> look{command{"HEXISTS", w.bucket(k, w.current), w.field(k)}, command{"GET", k.quota},
                              command{"HGET", w.bucket(s, w.current), w.field(s)}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].str == "0");  // refunded
    CHECK(stored[2].str == "s" + std::string(source_1) + "|m");
  });
}

TEST_CASE("ledger: a settle of sent items and others takes one round trip") {
  with_world([](world& w) -> asio::awaitable<void> {
    const auto a = w.keys("evt-rt-a");
    const auto b = w.keys("evt-rt-b", "13900000000");
    std::vector<ledger::reserve_item> batch{{&a, 5, source_1}, {&b, 5, source_1}};
    co_await w.reserve(batch, owner_a);
    std::vector<ledger::settle_item> warm{{&a, settle_op::not_sent, owner_a}};
    co_await w.settle(warm);  // the script is cached from here on
    std::vector<ledger::settle_item> results{{&a, settle_op::sent, owner_a, source_1, "m"},
                                             {&b, settle_op::checking, "", source_1, "", w.now, ""}};
    const auto before = w.redis.round_trips();
    co_await w.settle(results);
    CHECK(w.redis.round_trips() - before == 1);
    std::vector<ledger::write_item> call{{&a, owner_a, source_1, ""}};
    co_await w.mark_written(call, w.now);  // cached from here on
    const auto before_write = w.redis.round_trips();
    co_await w.mark_written(call, w.now);
    CHECK(w.redis.round_trips() - before_write == 1);
  });
}

TEST_CASE("ledger: calls with an item of another period, or without an owner or source, are refused before Redis sees them") {
  with_world([](world& w) -> asio::awaitable<void> {
    auto k = w.keys("evt-day");
    k.period = w.current - 1;  // a settle would look in the previous period's bucket, the record would be in the current one
    const std::vector<ledger::reserve_item> batch{{&k, 5, source_1}};
    auto r = co_await w.store.reserve(batch, owner_a, w.now, quota_ttl);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.message().find("not the reserve's period") != std::string::npos);
    const auto good = w.keys("evt-owner");
    const std::vector<ledger::reserve_item> fine{{&good, 5, source_1}};
    CHECK_FALSE((co_await w.store.reserve(fine, "", w.now, quota_ttl)).has_value());
    CHECK_FALSE((co_await w.store.reserve(fine, "a|b", w.now, quota_ttl)).has_value());
    const std::vector<ledger::reserve_item> sourceless{{&good, 5, "", reserve_mode::resend}};
    CHECK_FALSE((co_await w.store.reserve(sourceless, owner_a, w.now, quota_ttl)).has_value());
    const std::vector<ledger::write_item> no_owner{{&good, "", source_1, ""}};
    CHECK_FALSE((co_await w.store.mark_written(no_owner, w.now)).has_value());
    std::vector<command> look{command{"EXISTS", w.bucket(k, w.current)}, command{"EXISTS", k.quota}};
    auto stored = co_await w.exec(look);
    CHECK(stored[0].integer == 0);
    CHECK(stored[1].integer == 0);
  });
}
