// redis::client in cluster mode against the local 3-primary Redis Cluster (deploy/local/services'
// redis-cluster, HERALD_REDIS_CLUSTER_NODES): slots as the server computes them, one exec split
// over the primaries with its replies in order, a slot migrated under the client (ASK, TRYAGAIN,
// then MOVED), and the ledger's scripts on nodes that lost their script cache. The cluster not
// being reachable is a test failure, never a skip.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/run_coroutine.hpp"
#include "herald/ledger/ledger_keys.hpp"
#include "herald/ledger/ledger_store.hpp"
#include "herald/redis/client.hpp"
#include "herald/redis/cluster_slots.hpp"
#include "herald/util/crypto.hpp"
#include "herald/util/host_port.hpp"

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

std::vector<std::string> seeds() {
  const char* v = std::getenv("HERALD_REDIS_CLUSTER_NODES");
  const std::string text = v && *v ? v : "127.0.0.1:17001,127.0.0.1:17002,127.0.0.1:17003";
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= text.size();) {
    const auto comma = text.find(',', at);
    const auto one = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (!one.empty()) out.push_back(one);
    if (comma == std::string::npos) break;
    at = comma + 1;
  }
  return out;
}

herald::config::redis_config cluster_config() {
  herald::config::redis_config cfg;
  cfg.cluster_nodes = seeds();
  cfg.connect_timeout_ms = 2000;
  cfg.command_timeout_ms = 5000;
  return cfg;
}

herald::config::redis_config node_config(const std::string& address) {
  herald::config::redis_config cfg;
  const auto a = herald::parse_host_port(address).value();
  cfg.host = a.host;
  cfg.port = a.port;
  cfg.command_timeout_ms = 5000;
  return cfg;
}

// A command from its arguments, built outside the coroutine: GCC 12 cannot compile a braced list
// inside a co_await expression ("array used as initializer").
template <class... Args>
command cmd(const Args&... args) {
  return command{std::string_view(args)...};
}

asio::awaitable<void> require_connected(client& c, const char* what) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (int i = 0; i < 1000 && !c.is_connected(); ++i) {
    timer.expires_after(10ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  REQUIRE_MESSAGE(c.is_connected(), what << " is not reachable (deploy/local/services start redis-cluster)");
}

asio::awaitable<std::vector<reply>> exec(client& c, std::vector<command> commands) {
  auto r = co_await c.exec(std::move(commands));
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.message()));
  co_return std::move(r.value());
}

asio::awaitable<reply> one(client& c, command cmd) {
  std::vector<command> commands;
  commands.push_back(std::move(cmd));
  auto r = co_await exec(c, std::move(commands));
  co_return std::move(r.front());
}

// The cluster's nodes, each with an admin connection of its own (not routed).
struct admin {
  struct node {
    std::string address;
    std::string id;
    std::unique_ptr<client> link;
  };
  std::vector<node> nodes;

  asio::awaitable<void> connect(asio::any_io_executor ex) {
    for (const auto& a : seeds()) {
      node n{a, "", std::make_unique<client>(ex, node_config(a))};
      n.link->start();
      co_await require_connected(*n.link, a.c_str());
      const auto id = co_await one(*n.link, cmd("CLUSTER", "MYID"));
      REQUIRE_MESSAGE(!id.is_error(), id.str);
      n.id = id.str;
      nodes.push_back(std::move(n));
    }
    REQUIRE(nodes.size() >= 2);
  }
  // The node serving `slot`, by asking each which node does (CLUSTER SLOTS of the first).
  asio::awaitable<std::size_t> owner_of(std::uint16_t slot) {
    const auto map = co_await one(*nodes[0].link, cmd("CLUSTER", "SLOTS"));
    auto ranges = herald::redis::parse_cluster_slots(map);
    REQUIRE_MESSAGE(ranges.has_value(), (ranges ? "" : ranges.message()));
    for (const auto& r : ranges.value())
      if (slot >= r.first && slot <= r.last)
        for (std::size_t i = 0; i < nodes.size(); ++i)
          if (herald::parse_host_port(nodes[i].address).value().port == r.port) co_return i;
    FAIL("slot " << slot << " has no owner");
    co_return 0;
  }
  asio::awaitable<void> ok(std::size_t i, command cmd) {
    const auto r = co_await one(*nodes[i].link, std::move(cmd));
    REQUIRE_MESSAGE(!r.is_error(), nodes[i].address << ": " << r.str);
  }
  // Gives `slot` (with its keys) to node `to`, the way redis-cli --cluster reshard does.
  asio::awaitable<void> move_slot(std::uint16_t slot, std::size_t from, std::size_t to) {
    const std::string s = std::to_string(slot);
    co_await ok(to, cmd("CLUSTER", "SETSLOT", s, "IMPORTING", nodes[from].id));
    co_await ok(from, cmd("CLUSTER", "SETSLOT", s, "MIGRATING", nodes[to].id));
    co_await migrate_keys(slot, from, to);
    for (std::size_t i = 0; i < nodes.size(); ++i) co_await ok(i, cmd("CLUSTER", "SETSLOT", s, "NODE", nodes[to].id));
  }
  asio::awaitable<void> migrate_keys(std::uint16_t slot, std::size_t from, std::size_t to) {
    const auto target = herald::parse_host_port(nodes[to].address).value();
    for (;;) {
      const auto keys = co_await one(*nodes[from].link, cmd("CLUSTER", "GETKEYSINSLOT", std::to_string(slot), "100"));
      REQUIRE(keys.kind == reply::type::array);
      if (keys.elements.empty()) break;
      std::vector<std::string> args{"MIGRATE", target.host, std::to_string(target.port), "", "0", "5000", "KEYS"};
      for (const auto& k : keys.elements) args.push_back(k.str);
      co_await ok(from, command(std::span<const std::string>(args)));
    }
  }
};

void run(const std::function<asio::awaitable<void>(asio::any_io_executor)>& body, std::chrono::seconds limit = 60s) {
  herald::testing::run_coroutine(body, limit);
}

}  // namespace

TEST_CASE("cluster: Herald's slot of a key is the server's (CLUSTER KEYSLOT), hash tags included") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    admin a;
    co_await a.connect(ex);
    for (const std::string key : {"foo", "herald:l:20424:{0a1f}", "herald:q:{0a1f}:shop:t:20261202:x", "{}", "a{b}c",
                                  "\xe7\x9f\xad\xe4\xbf\xa1", "", "{user1000}.following", "k\r\n\0z"}) {
      const auto server = co_await one(*a.nodes[0].link, cmd("CLUSTER", "KEYSLOT", key));
      CAPTURE(key);
      CHECK(server.integer == herald::redis::key_slot(key));
    }
  });
}

TEST_CASE("cluster: one exec over every primary answers in the caller's order, one request per primary") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    client c(ex, cluster_config());
    c.start();
    co_await require_connected(c, "the Redis Cluster");
    const std::string run_id = herald::crypto::random_hex(6);
    std::vector<command> sets;
    std::vector<command> gets;
    std::map<std::uint16_t, int> slots;
    for (int i = 0; i < 300; ++i) {
      const std::string key = "herald-test:cluster:" + run_id + ":" + std::to_string(i);
      ++slots[herald::redis::key_slot(key)];
      sets.push_back(cmd("SET", key, "v" + std::to_string(i), "EX", "300"));
      gets.push_back(cmd("GET", key));
    }
    const auto before = c.round_trips();
    auto set = co_await exec(c, std::move(sets));
    CHECK(c.round_trips() - before == 3);  // one pipelined request to each of the 3 primaries
    for (const auto& r : set) CHECK(r.str == "OK");
    auto got = co_await exec(c, std::move(gets));
    REQUIRE(got.size() == 300);
    for (int i = 0; i < 300; ++i) CHECK(got[static_cast<std::size_t>(i)].str == "v" + std::to_string(i));
    CHECK(slots.size() > 250);  // the keys really were spread over the slots
  });
}

TEST_CASE("cluster: a slot migrated under the client: ASK while it moves, TRYAGAIN for a call across moved keys, MOVED after") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    admin a;
    co_await a.connect(ex);
    client c(ex, cluster_config());
    c.start();
    co_await require_connected(c, "the Redis Cluster");
    const std::string tag = "{mig-" + herald::crypto::random_hex(6) + "}";
    const std::string k1 = "herald-test:" + tag + ":1", k2 = "herald-test:" + tag + ":2";
    const std::uint16_t slot = herald::redis::key_slot(k1);
    const std::size_t from = co_await a.owner_of(slot);
    const std::size_t to = (from + 1) % a.nodes.size();
    CHECK((co_await one(c, cmd("SET", k1, "one", "EX", "300"))).str == "OK");

    co_await a.ok(to, cmd("CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING", a.nodes[from].id));
    co_await a.ok(from, cmd("CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING", a.nodes[to].id));
    // k1 is still on the source: served there. k2 is nowhere: the source answers ASK, the client
    // sends ASKING + SET to the target (its first request there: two round trips in all).
    CHECK((co_await one(c, cmd("GET", k1))).str == "one");
    auto rt = c.round_trips();
    const auto before_ask = c.cluster_stats();
    CHECK((co_await one(c, cmd("SET", k2, "two", "EX", "300"))).str == "OK");
    CHECK(c.round_trips() - rt == 2);
    CHECK(c.cluster_stats().ask == before_ask.ask + 1);
    CHECK(c.cluster_stats().moved == before_ask.moved);
    const auto on_target = co_await one(*a.nodes[to].link, cmd("CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)));
    CHECK(on_target.integer == 1);
    // A script over both keys: the source has one of them, so Redis answers TRYAGAIN; the client
    // tries again a few times and then gives that answer (the command never ran).
    const auto started = std::chrono::steady_clock::now();
    const auto both = co_await one(c, cmd("EVAL", "return redis.call('GET', KEYS[1]) .. redis.call('GET', KEYS[2])",
                                              "2", k1, k2));
    CHECK(both.error_code() == "TRYAGAIN");
    CHECK(std::chrono::steady_clock::now() - started >= 500ms);
    // Every round but the last waited: five (the router's redirect bound, max_redirects).
    CHECK(c.cluster_stats().busy == before_ask.busy + 5);

    // The rest of the slot moves and the target owns it: the client's map is stale, the source
    // answers MOVED, and from then on the client goes straight to the new owner.
    co_await a.migrate_keys(slot, from, to);
    for (std::size_t i = 0; i < a.nodes.size(); ++i)
      co_await a.ok(i, cmd("CLUSTER", "SETSLOT", std::to_string(slot), "NODE", a.nodes[to].id));
    rt = c.round_trips();
    const auto again = co_await one(c, cmd("EVAL", "return redis.call('GET', KEYS[1]) .. redis.call('GET', KEYS[2])",
                                               "2", k1, k2));
    CHECK(again.str == "onetwo");
    CHECK(c.cluster_stats().moved == before_ask.moved + 1);
    // MOVED from the source, then the target; and the map refresh the MOVED asked for (CLUSTER
    // SLOTS, in the background) may have been counted by now.
    CHECK(c.round_trips() - rt >= 2);
    CHECK(c.round_trips() - rt <= 3);
    rt = c.round_trips();
    CHECK((co_await one(c, cmd("GET", k1))).str == "one");
    CHECK(c.round_trips() - rt == 1);

    co_await a.move_slot(slot, to, from);  // as it was, for the tests that follow
  });
}

TEST_CASE("cluster: the ledger's calls split by slot, and nodes that lost their scripts are sent the text") {
  run([](asio::any_io_executor ex) -> asio::awaitable<void> {
    admin a;
    co_await a.connect(ex);
    client c(ex, cluster_config());
    c.start();
    co_await require_connected(c, "the Redis Cluster");
    const std::string prefix = "herald-test:cluster-ledger:" + herald::crypto::random_hex(8) + ":";
    ledger::store store(c, prefix, 48, true);
    const herald::crypto::hmac_sha256_key key("cluster-test-recipient-key");
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
    std::vector<ledger::item_keys> keys(200);
    std::vector<ledger::reserve_item> batch;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      herald::model::event e;
      e.event_id = "evt-" + std::to_string(i);
      e.account = "shop";
      // Two events per recipient: they share a bucket, so some slots hold several items.
      e.to = {herald::model::recipient_kind::phone, "1380000" + std::to_string(1000 + i / 2)};
      keys[i] = ledger::make_keys(prefix, e, now, 480, store.layout(), key);
      batch.push_back({&keys[i], i % 2 == 0 ? 1u : 2u, "src"});
    }
    for (std::size_t i = 0; i < a.nodes.size(); ++i) co_await a.ok(i, cmd("SCRIPT", "FLUSH"));
    auto first = co_await store.reserve(batch, "0000aaaa.1", now, 600);
    REQUIRE_MESSAGE(first.has_value(), (first ? "" : first.message()));
    // Each recipient's daily limit: the first event's is 1, the second's 2, and they share a
    // counter: both reserved (counts 1 then 2).
    for (const auto& r : first.value()) CHECK(r.v == ledger::verdict::reserved);
    // A retry after a lost answer: the caller's own records, nothing charged twice.
    auto again = co_await store.reserve(batch, "0000aaaa.1", now, 600);
    REQUIRE(again.has_value());
    for (const auto& r : again.value()) CHECK(r.v == ledger::verdict::reserved);
    const auto count = co_await one(c, cmd("GET", keys[0].quota));
    CHECK(count.str == "2");

    std::vector<ledger::write_item> calls;
    for (const auto& k : keys) calls.push_back({&k, "0000aaaa.1", "src", "out-1"});
    for (std::size_t i = 0; i < a.nodes.size(); ++i) co_await a.ok(i, cmd("SCRIPT", "FLUSH"));
    auto written = co_await store.mark_written(calls, now);
    REQUIRE_MESSAGE(written.has_value(), (written ? "" : written.message()));
    for (const auto& w : written.value()) CHECK(w.is_written);

    // Half sent, half failed for good (refunded): the HSETs and the per-slot settle calls in one exec.
    std::vector<ledger::settle_item> settles;
    std::vector<std::string> message_ids(keys.size());  // the items view them
    for (std::size_t i = 0; i < keys.size(); ++i) {
      message_ids[i] = "msg-" + std::to_string(i);
      if (i % 2 == 0) settles.push_back({&keys[i], ledger::settle_op::sent, "", "src", message_ids[i]});
      else settles.push_back({&keys[i], ledger::settle_op::failed, "0000aaaa.1", "src"});
    }
    for (std::size_t i = 0; i < a.nodes.size(); ++i) co_await a.ok(i, cmd("SCRIPT", "FLUSH"));
    auto settled = co_await store.settle(settles);
    REQUIRE_MESSAGE(settled.has_value(), (settled ? "" : settled.message()));
    CHECK((co_await one(c, cmd("GET", keys[0].quota))).str == "1");  // the failed one refunded
    auto fresh = co_await store.reserve(batch, "0000bbbb.1", now, 600);
    REQUIRE(fresh.has_value());
    for (std::size_t i = 0; i < keys.size(); ++i) {
      CAPTURE(i);
      if (i % 2 == 0) {
        REQUIRE(fresh.value()[i].v == ledger::verdict::found);
        CHECK(fresh.value()[i].found.state == ledger::record_state::sent);
        CHECK(fresh.value()[i].found.message_id == "msg-" + std::to_string(i));
      } else {
        CHECK(fresh.value()[i].v == ledger::verdict::reserved);  // released: a new attempt may go
      }
    }
  });
}
